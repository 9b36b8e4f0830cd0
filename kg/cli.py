"""The ``kg`` command line: build the graph from paper lists, and look into what was built."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.ingest import FORMATS, InputError, read_papers
from kg.model import RELATION_KINDS

EXAMPLES_BUILD = """
\b
Examples:
  kg build seeds/ -o output/
  kg build papers.jsonl more.csv -o out/ --skip-bad
  kg build list.txt --format page -o out/ --base-iri https://example.org/kg/
  kg build papers.jsonl -o out/ --curation curation.toml
  kg build arxiv-metadata-oai-snapshot.json.gz -o arxiv/ --workers 2
  kg build papers.parquet -o out/ --dask tcp://scheduler:8786
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="paperkg")
def cli() -> None:
    """paperkg: a knowledge graph of the datasets, benchmarks, models, methods, tasks and
    metrics that a list of machine-learning papers mention.

    \b
    Examples:
      kg build seeds/ -o output/     # graph.ttl, graph.nt, graph.json, graph.html
      kg stats output/graph.ttl      # what is in it
      kg view CLIP -o clip.html      # one entity's neighbourhood as an explorer page
    """


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _warn(quiet: bool):
    return lambda msg: None if quiet else click.echo(f"warning: {msg}", err=True)


@cli.command(epilog=EXAMPLES_BUILD)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "outdir", type=click.Path(path_type=Path),
              default=Path("output"), show_default=True, help="Directory for the outputs.")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Force the input format (default: detected per file).")
@click.option("--base-iri", default=None, help="Base of entity and paper IRIs "
              "[default: https://w3id.org/paperkg/id/].")
@click.option("--lexicon", "lexicons", multiple=True, type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Extra lexicon TSV (term<TAB>type); repeatable.")
@click.option("--curation", "curation_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Your corrections: aliases, merges, separations, drops, types, variants "
                   "(TOML; default: a curation.toml in an input folder).")
@click.option("--skip-bad", is_flag=True, help="Warn about bad records and keep the good ones.")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=None,
              help="Processes extracting papers in parallel [default: all cores].")
@click.option("--dask", "dask", metavar="ADDRESS", default=None,
              help="Extract on a Dask cluster: a scheduler address (tcp://host:8786), or "
                   "'local' for a LocalCluster of --workers processes on this machine.")
@click.option("--no-cache", is_flag=True, help="Extract every paper again, ignoring the "
              "extraction cache in OUTPUT (the cache is still refreshed).")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no warnings.")
def build(inputs: tuple[Path, ...], outdir: Path, fmt: str | None, base_iri: str | None,
          lexicons: tuple[Path, ...], curation_path: Path | None, skip_bad: bool,
          workers: int | None, dask: str | None, no_cache: bool, quiet: bool) -> None:
    """Read paper lists (files or directories of .txt pages, .jsonl, .csv, .parquet, each
    possibly .gz/.bz2/.xz-compressed) and write OUTPUT/graph.ttl, graph.nt, graph.json,
    graph.html and the SPARQL store graph.oxigraph/.

    A rebuild extracts only the papers that are new or changed since the last build into
    OUTPUT (a cache in OUTPUT/.paperkg-cache.sqlite); a change of the extractor or of a
    --lexicon file invalidates it."""
    from kg import curation as cur
    from kg.build import build_outputs, check_lexicons
    from kg.export import OutputError

    warn = _warn(quiet)
    curation_path = curation_path or next(
        (p / "curation.toml" for p in inputs if (p / "curation.toml").is_file()), None)
    try:
        curation = cur.load(curation_path) if curation_path else None
        papers = read_papers(list(inputs), fmt=fmt, skip_bad=skip_bad, warn=warn)
        check_lexicons(list(lexicons))  # the output is checked before the extraction too
        s = build_outputs(papers, outdir, base_iri=base_iri, lexicons=list(lexicons),
                          quiet=quiet, workers=workers, dask=dask, use_cache=not no_cache,
                          curation=curation)
    except (InputError, OutputError) as e:
        raise click.ClickException(str(e)) from None
    for rule in curation.unused() if curation else ():
        warn(f"{rule.where}: [{rule.section}] {rule.names[0]!r} matches no name of the corpus")
    if not quiet:
        click.echo(f"{_count(s.papers, 'paper')} ({s.extracted:,} extracted, {s.cached:,} "
                   f"cached), {_count(s.entities, 'entity', 'entities')}, "
                   f"{_count(s.relations, 'relation')}, {_count(s.results, 'result')}, "
                   f"{_count(s.triples, 'triple')} in "
                   f"{s.seconds:.1f} s", err=True)
        click.echo(f"{_count(s.papers, 'paper')} -> " + ", ".join(str(p) for p in s.files),
                   err=True)


@cli.command(epilog="""
\b
Examples:
  kg stats output/graph.ttl
  kg stats output/graph.ttl --top 20
""")
@click.argument("graph", type=click.Path(dir_okay=False, path_type=Path),
                default=Path("output/graph.ttl"))
@click.option("--top", default=10, show_default=True, help="How many top entities to list.")
def stats(graph: Path, top: int) -> None:
    """Papers, entities by type and the most connected entities of an exported graph."""
    from kg.query import QueryError, open_store, select

    try:
        store = open_store(graph)
    except QueryError as e:
        raise click.ClickException(str(e)) from None
    papers = select(store, "SELECT (COUNT(?p) AS ?n) WHERE { ?p a kg:Paper }")[0]["n"]
    click.echo(f"papers    {papers}")
    by_type = select(store, """SELECT ?type (COUNT(?e) AS ?n) WHERE {
        ?e a ?type .
        VALUES ?type { kg:Dataset kg:Benchmark kg:Model kg:Method kg:Task kg:Metric } }
        GROUP BY ?type ORDER BY DESC(?n) ?type""")
    total = sum(r["n"] for r in by_type)
    click.echo(f"entities  {total}")
    for r in by_type:
        click.echo(f"  {str(r['type']).rsplit('#', 1)[1]:<10}{r['n']:>6}")
    rows = select(store, f"""SELECT ?label ?type (COUNT(DISTINCT ?p) AS ?n) WHERE {{
        ?p kg:mentions ?e . ?e rdfs:label ?label ; a ?type .
        VALUES ?type {{ kg:Dataset kg:Benchmark kg:Model kg:Method kg:Task kg:Metric }} }}
        GROUP BY ?e ?label ?type ORDER BY DESC(?n) ?label LIMIT {int(top)}""")
    click.echo("most connected (papers mentioning):")
    for r in rows:
        click.echo(f"  {r['n']:>4}  {r['label']} ({str(r['type']).rsplit('#', 1)[1]})")
    kinds = [k for k in RELATION_KINDS if k.scope == "entity"]
    counts = {str(r["p"]).rsplit("#", 1)[1]: r["n"] for r in select(store, f"""
        SELECT ?p (COUNT(*) AS ?n) WHERE {{ ?h ?p ?t .
        VALUES ?p {{ {" ".join(f"kg:{k.prop}" for k in kinds)} }} }} GROUP BY ?p""")}
    click.echo(f"relations {sum(counts.values())}")
    for k in kinds:
        click.echo(f"  {k.label:<15}{counts.get(k.prop, 0):>6}")
    results = select(store, """SELECT ?kind (COUNT(?r) AS ?n) WHERE {
        ?r a kg:Result ; kg:resultKind ?kind } GROUP BY ?kind ORDER BY ?kind""")
    click.echo(f"results   {sum(r['n'] for r in results)}")
    for r in results:
        click.echo(f"  {r['kind']:<15}{r['n']:>6}")


@cli.command("eval", epilog="""
\b
Examples:
  kg eval gold.jsonl --papers papers.jsonl
  kg eval ../shared/eval/dev_gold.jsonl --papers ../shared/eval/dev_papers.jsonl --top 25
  kg eval ../shared/eval/dev_gold.jsonl --papers ../shared/eval/dev_papers.jsonl \\
          --relations ../shared/eval/dev_relations.jsonl \\
          --results ../shared/eval/dev_results.jsonl
""")
@click.argument("gold", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--papers", "papers_path", required=True, type=click.Path(dir_okay=False,
              path_type=Path), help="The annotated papers (any input format, with ids).")
@click.option("--relations", "relations_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Gold relations (id, relations: head, type, tail) to score as well.")
@click.option("--results", "results_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Gold results (id, results: system, dataset, metric, value, kind) to "
                   "score as well.")
@click.option("--lexicon", "lexicons", multiple=True, type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Extra lexicon TSV, as for build; repeatable.")
@click.option("--top", default=15, show_default=True, help="How many misses to list.")
def evaluate_cmd(gold: Path, papers_path: Path, relations_path: Path | None,
                 results_path: Path | None, lexicons: tuple[Path, ...], top: int) -> None:
    """Extract from annotated PAPERS and compare with GOLD (one JSON object per paper:
    id, entities with name, aliases, type, introduced, optional): precision, recall and F1,
    per-type recall, and the top misses; with --relations and --results, the same for the
    relations and the numeric results."""
    from kg.build import build_graph_from_papers, check_lexicons
    from kg.evaluate import (
        evaluate,
        evaluate_relations,
        evaluate_results,
        format_relation_report,
        format_report,
        format_result_report,
        load_gold,
    )

    try:
        gold_rows = load_gold(gold)
        gold_relations = load_gold(relations_path, "relations") if relations_path else None
        gold_results = load_gold(results_path, "results") if results_path else None
        papers = read_papers([papers_path])
        check_lexicons(list(lexicons))
    except InputError as e:
        raise click.ClickException(str(e)) from None
    g = build_graph_from_papers(papers, list(lexicons))
    click.echo(format_report(evaluate(g, gold_rows), top))
    if gold_relations is not None:
        click.echo("relations:")
        click.echo(format_relation_report(evaluate_relations(g, gold_rows, gold_relations),
                                          top))
    if gold_results is not None:
        click.echo("results:")
        click.echo(format_result_report(evaluate_results(g, gold_rows, gold_results), top))


# kg.query's result formats (not imported here, to keep `kg --help` quick; a test checks them)
QUERY_FORMATS = ["table", "json", "xml", "csv", "tsv", "turtle", "ntriples", "rdfxml"]


@cli.command(epilog="""
\b
Examples:
  kg query 'SELECT ?label WHERE { ?b a kg:Benchmark ; rdfs:label ?label }'
  kg query -f question.rq --format csv > answers.csv
  kg query 'ASK { ?p kg:introduces ?e }'
  kg query 'DESCRIBE ?e WHERE { ?e rdfs:label "GPT-4" }'
  kg query --list-examples
  kg query --example papers-mentioning --bind entity=LLaMA
  kg query --example top-entities --graph other/graph.ttl --format json
  kg query --example co-occurring --show > co-occurring.rq
""")
@click.argument("text", metavar="[QUERY]", required=False)
@click.option("-f", "--file", "query_file", type=click.File("r", encoding="utf-8"),
              help="Read the query from a file ('-': standard input).")
@click.option("-e", "--example", "example_name", metavar="NAME",
              help="Run a worked example (see --list-examples).")
@click.option("--list-examples", is_flag=True, help="List the worked examples.")
@click.option("-b", "--bind", "bindings", multiple=True, metavar="NAME=VALUE",
              help="Set the query's 'VALUES ?NAME { … }' to VALUE: text, a number, <IRI> or "
                   "prefix:name; repeatable.")
@click.option("--show", is_flag=True,
              help="Print the query, with its prefixes, instead of running it.")
@click.option("-g", "--graph", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("output/graph.ttl"), show_default=True, help="The graph to query.")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table",
              show_default=True, help="table: aligned, for reading (Turtle for a graph); json, "
              "xml, csv, tsv: W3C SPARQL results; turtle, ntriples, rdfxml: for CONSTRUCT and "
              "DESCRIBE.")
@click.option("--limit", type=click.IntRange(min=0), help="Output at most this many rows.")
def query(text: str | None, query_file, example_name: str | None, list_examples: bool,
          bindings: tuple[str, ...], show: bool, graph: Path, fmt: str,
          limit: int | None) -> None:
    """Ask an exported graph a SPARQL question: SELECT, ASK, CONSTRUCT or DESCRIBE. The
    prefixes kg, rdf, rdfs, skos, dcterms, owl, xsd, schema and prov are predeclared."""
    import io

    from kg import query as q

    try:
        if list_examples:
            click.echo(_list_examples(q.examples()))
            return
        given = [s for s in (text, query_file, example_name) if s is not None]
        if len(given) != 1:
            raise click.UsageError("give one query: QUERY, -f FILE or --example NAME")
        sparql = (text if text is not None else query_file.read() if query_file
                  else q.example(example_name).text)
        values: dict[str, str] = {}
        for b in bindings:
            name, sep, value = b.partition("=")
            if not sep or not name.strip("?"):
                raise click.BadParameter(f"{b!r} is not NAME=VALUE", param_hint="--bind")
            if name.strip("?") in values:
                raise click.BadParameter(f"{name.strip('?')} is bound twice", param_hint="--bind")
            values[name.strip("?")] = value
        if values:
            sparql = q.bind(sparql, values)
        if show:
            click.echo(q.PROLOGUE + "\n" + sparql.rstrip("\n"))
            return
        result = q.execute(q.open_store(graph, cache=True), sparql)
        if fmt == "table" and result.kind != "graph":
            out = io.StringIO()
            q.table(result, out, max_rows=limit)
            click.echo(out.getvalue(), nl=False)
        else:
            stdout = sys.stdout.buffer
            q.serialize(result, "turtle" if fmt == "table" else fmt, stdout, limit)
            stdout.flush()
    except q.QueryError as e:
        raise click.ClickException(str(e)) from None


def _list_examples(examples: dict) -> str:
    width = max(len(name) for name in examples) + 2
    lines = []
    for ex in examples.values():
        lines.append(f"{ex.name:<{width}}{ex.description}")
        params = " ".join(f"--bind {k}={v}" for k, v in ex.params.items() if " " not in v)
        if params:
            lines.append(" " * width + params)
    return "\n".join(lines + ["", "Run one: kg query --example NAME [--bind NAME=VALUE]; "
                                  "its SPARQL: kg query --example NAME --show"])


@cli.command(epilog="""
\b
Examples:
  kg serve                          # output/graph.ttl at http://127.0.0.1:7878/sparql
  kg serve other/graph.ttl --port 8000 --timeout 30 --max-rows 50000
  kg serve --workers 4 --max-workers 16 --idle-timeout 10
  kg serve --cors                   # for a browser client such as YASGUI
  curl -H 'Accept: text/csv' --data-urlencode \\
       'query=SELECT ?label WHERE { ?e a kg:Task ; rdfs:label ?label }' \\
       http://127.0.0.1:7878/sparql
""")
@click.argument("graph", type=click.Path(dir_okay=False, path_type=Path),
                default=Path("output/graph.ttl"))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default lets only this machine in.")
@click.option("-p", "--port", default=7878, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free one).")
@click.option("--timeout", default=10.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Seconds a query may run; past that it is stopped (503).")
@click.option("--max-rows", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Rows (or triples) a result is cut to; a cut result carries the header "
                   "X-SPARQL-MaxRows.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="Worker processes started at once; also how many queries may run longer "
                   "than a second at the same time.")
@click.option("--max-workers", default=8, show_default=True, type=click.IntRange(min=1),
              help="Worker processes at most: more are started while all are busy, so quick "
                   "queries are answered while long ones run.")
@click.option("--idle-timeout", default=30, show_default=True, type=click.IntRange(min=1),
              help="Seconds an idle or half-sent connection is kept open.")
@click.option("--cors", is_flag=True,
              help="Let web pages of any site query it (for a browser client such as YASGUI).")
@click.option("-q", "--quiet", is_flag=True, help="No log line per request.")
def serve(graph: Path, host: str, port: int, timeout: float, max_rows: int, workers: int,
          max_workers: int, idle_timeout: int, cors: bool, quiet: bool) -> None:
    """A read-only SPARQL 1.1 Protocol endpoint over GRAPH: GET and POST at /sparql, results
    in JSON, XML, CSV, TSV (or Turtle, N-Triples, RDF/XML for graphs) by the Accept header.
    Updates and SERVICE are refused; prefixes are predeclared as for `kg query`. At / it
    serves the explorer for a graph of any size: search, then follow an entity to its papers
    and neighbours, each fetched as you go."""
    import signal

    from kg.query import QueryError
    from kg.serve import Endpoint

    if not graph.is_file():
        raise click.ClickException(f"{graph}: no such file")
    try:
        endpoint = Endpoint(graph, host, port, timeout, max_rows, workers, max_workers,
                            idle_timeout, log=not quiet, cors=cors)
    except QueryError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"cannot serve on {host}:{port}: {e.strerror or e}") from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: other machines can query the graph", err=True)
    if not endpoint.workers.sandboxed:
        click.echo("warning: this system cannot deny the workers network access (seccomp); "
                   "SERVICE is still refused as the query parses", err=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"SPARQL endpoint {endpoint.url}: {endpoint.triples} triples of {graph}, "
               f"read-only, {timeout:g} s and {max_rows} rows a query (Ctrl-C stops it)", err=True)
    try:
        endpoint.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        endpoint.close()


@cli.command("validate", epilog="""
\b
Examples:
  kg validate output/graph.ttl
  kg validate other/graph.ttl --shapes my-shapes.ttl --max-lines 200
""")
@click.argument("graph", type=click.Path(dir_okay=False, path_type=Path),
                default=Path("output/graph.ttl"))
@click.option("--shapes", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SHACL shapes to check against [default: paperkg's ontology/shapes.ttl].")
@click.option("--max-lines", default=50, show_default=True, type=click.IntRange(min=0),
              help="How many violations to list.")
def validate_cmd(graph: Path, shapes: Path | None, max_lines: int) -> None:
    """Check GRAPH against the SHACL shapes of a valid export (one title per paper; one label
    and one of the six types per entity; introduces implies mentions; mentions whose offsets
    hold their text...). Lists the violations and exits 1 if there are any."""
    from kg.validate import SHAPES, ValidationError, validate

    shapes = shapes or SHAPES
    try:
        report = validate(graph, shapes)
    except ValidationError as e:
        raise click.ClickException(str(e)) from None
    c = report.counts
    if report.conforms:
        click.echo(f"{graph}: valid ({c['papers']} papers, {c['entities']} entities, "
                   f"{c['mentions']} mentions)")
        return
    for v in report.violations[:max_lines]:
        click.echo(v.line())
    if len(report.violations) > max_lines:
        click.echo(f"... and {len(report.violations) - max_lines} more")
    raise click.ClickException(f"{graph} does not conform to {shapes}: "
                               f"{len(report.violations)} violations")


@cli.command(epilog="""
\b
Examples:
  kg view CLIP -o clip.html                 # CLIP, its papers and what they mention
  kg view "ImageNet" --radius 2 -o imagenet.html
  kg view bert --graph other/graph.json     # names match labels and aliases, any case
""")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Page to write [default: NAME-as-a-slug.html].")
@click.option("-g", "--graph", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("output/graph.json"), show_default=True,
              help="The graph.json written by kg build.")
@click.option("-r", "--radius", default=1, show_default=True, type=click.IntRange(min=0),
              help="Shared-paper steps from the entity: 1 is its papers and everything they "
                   "mention, 2 adds those entities' papers and theirs.")
def view(name: str, output: Path | None, graph: Path, radius: int) -> None:
    """Write the explorer page (like graph.html) for the neighbourhood of one entity, NAME
    being its label or one of its aliases."""
    import difflib

    from kg.export import OutputError, write_atomically
    from kg.export.html import find_entities, neighbourhood, to_html
    from kg.ingest import slugify

    g = _read_graph_json(graph)
    hits = find_entities(g, name)
    if not hits:
        names = sorted({str(n) for _, d in g.nodes(data=True) if d.get("kind") == "entity"
                        for n in [d.get("label", ""), *(d.get("aliases") or ())]})
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.75)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        raise click.ClickException(f"no entity named {name!r} in {graph}{hint}")
    node = hits[0]
    d = g.nodes[node]
    if len(hits) > 1:
        others = ", ".join(f"{g.nodes[h]['label']} ({g.nodes[h].get('type')})" for h in hits[1:4])
        click.echo(f"note: {name!r} also names {others}; showing {d['label']} ({d.get('type')})",
                   err=True)
    sub = neighbourhood(g, node, radius)
    output = output or Path(f"{slugify(d['label'])}.html")
    title = f"{d['label']} ({d.get('type')}): neighbourhood, radius {radius}"
    try:
        write_atomically([(output, lambda: to_html(sub, focus=node, title=title,
                                                   radius=radius))])
    except OutputError as e:
        raise click.ClickException(str(e)) from None
    kinds = [k for _, k in sub.nodes(data="kind")]
    click.echo(f"{d['label']} ({d.get('type')}): {_count(kinds.count('paper'), 'paper')}, "
               f"{_count(kinds.count('entity') - 1, 'other entity', 'other entities')} within "
               f"radius {radius} -> {output}", err=True)


def _read_graph_json(path: Path):
    """The networkx graph of a graph.json written by kg build, or a one-line error that says
    what is wrong with the file (never a guess from some exception type)."""
    import json

    import networkx as nx

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such file (make it with: kg build)") from None
    except OSError as e:
        raise click.ClickException(f"{path}: cannot read: {e.strerror or e}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise click.ClickException(f"{path}: not a graph.json written by kg build (not JSON: "
                                   f"{type(e).__name__})") from None
    problem = _graph_json_problem(data)
    if problem:
        raise click.ClickException(f"{path}: not a graph.json written by kg build ({problem})")
    return nx.node_link_graph(data, edges="edges")


def _graph_json_problem(data) -> str:
    """What keeps node-link data from being a graph of kg build ("" if nothing): the fields
    that reading it and `kg view` rely on."""
    from kg.model import RELATION_KINDS

    kinds = [k.name for k in RELATION_KINDS]
    if not isinstance(data, dict):
        return "not a JSON object"
    nodes, edges = data.get("nodes"), data.get("edges")
    if not isinstance(nodes, list) or not isinstance(edges, list):
        return "no 'nodes' and 'edges' lists"
    ids = set()
    for i, n in enumerate(nodes):
        if not isinstance(n, dict) or not isinstance(n.get("id"), str):
            return f"node {i} has no id"
        if not isinstance(n.get("kind"), str):
            return f"node {n['id']!r} has no kind"
        if n["kind"] in ("paper", "entity") and not isinstance(n.get("label"), str):
            return f"{n['kind']} {n['id']!r} has no label"
        if n["kind"] == "entity" and not (isinstance(n.get("type"), str)
                                          and isinstance(n.get("aliases"), list)):
            return f"entity {n['id']!r} has no type or no aliases"
        ids.add(n["id"])
    for i, e in enumerate(edges):
        if not isinstance(e, dict) or e.get("source") not in ids or e.get("target") not in ids:
            return f"edge {i} does not join two of its nodes"
        if e.get("relation") not in kinds:
            return f"edge {i} has no relation ({', '.join(kinds)})"
    return ""


def main() -> None:
    cli(prog_name="kg")


if __name__ == "__main__":
    sys.exit(main())
