"""The ``kg`` command line: build the graph from paper lists, and look into what was built."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.ingest import FORMATS, InputError, read_papers

EXAMPLES_BUILD = """
\b
Examples:
  kg build seeds/ -o output/
  kg build papers.jsonl more.csv -o out/ --skip-bad
  kg build list.txt --format page -o out/ --base-iri https://example.org/kg/
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="paperkg")
def cli() -> None:
    """paperkg: a knowledge graph of the datasets, benchmarks, models, methods, tasks and
    metrics that a list of machine-learning papers mention.

    \b
    Typical use:
      kg build seeds/ -o output/     # graph.ttl, graph.json, graph.html
      kg stats output/graph.ttl      # what is in it
    """


def _warn(quiet: bool):
    return lambda msg: None if quiet else click.echo(f"warning: {msg}", err=True)


@cli.command(epilog=EXAMPLES_BUILD)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True, help="Directory for the three files.")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Force the input format (default: detected per file).")
@click.option("--base-iri", default=None, help="Base of entity and paper IRIs "
              "[default: https://w3id.org/paperkg/id/].")
@click.option("--lexicon", "lexicons", multiple=True, type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Extra lexicon TSV (term<TAB>type); repeatable.")
@click.option("--skip-bad", is_flag=True, help="Warn about bad records and keep the good ones.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no warnings.")
def build(inputs: tuple[Path, ...], outdir: Path, fmt: str | None, base_iri: str | None,
          lexicons: tuple[Path, ...], skip_bad: bool, quiet: bool) -> None:
    """Read paper lists (files or directories of .txt pages, .jsonl, .csv) and write
    OUTPUT/graph.ttl, OUTPUT/graph.json and OUTPUT/graph.html."""
    from kg.build import build_outputs

    try:
        papers = read_papers(list(inputs), fmt=fmt, skip_bad=skip_bad, warn=_warn(quiet))
    except InputError as e:
        raise click.ClickException(str(e)) from None
    try:
        written = build_outputs(papers, outdir, base_iri=base_iri, lexicons=list(lexicons),
                                quiet=quiet)
    except ValueError as e:  # a bad lexicon file
        raise click.ClickException(str(e)) from None
    if not quiet:
        click.echo(f"{len(papers)} papers -> " + ", ".join(str(p) for p in written), err=True)


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


def main() -> None:
    cli(prog_name="kg")


if __name__ == "__main__":
    sys.exit(main())
