/* Where the explorer's records come from: the page's own data (a file made by `kg build` or
 * `kg view`), or `kg serve`'s JSON API. Both give the panel the same records:
 *
 *   entity: {id, l, t, a, n, papers: [{p, r, ev}], more: {papers}, relations: [{k, d, e, st}],
 *            neighbours: [{e, n}], totals: {type: distinct neighbours}, results, missing, refs}
 *   paper:  {id, l, a, u, d, au, ents: [{e, r, sp}], relations: [{k, h, t, s, r}], results,
 *            missing, refs}
 *   results: [{v: value as written, k: score/gain/other, roles: [[role, entity]], p, ev}]
 *
 * r is "mentions" or "introduces"; ev a list of {f: field, s: sentence, m: [[start, end]]}
 * (offsets in the sentence), or null when the evidence is not at hand; a relation has its kind
 * k (a name of the relation-kind table), its direction d ("out": this entity is the head) and
 * its statements st: {p: paper, s: sentence or null, r: rule}; sp are [field, start, end] of
 * the paper's own text; missing is null or [what is left out, [commands that show it]];
 * refs: {id: {l, t, n}} for entities and {id: {l, d, u}} for papers the record names; a
 * result's roles are result-scope kinds of the relation-kind table (system, dataset, ...).
 * A new section is a new key here and a new renderer in explorer.js (as results were). */
const kgSource = (function () {
  "use strict";

  const byDateThenTitle = (info) => (a, b) => {
    const pa = info(a);
    const pb = info(b);
    return (pb.d || "").localeCompare(pa.d || "") || pa.l.localeCompare(pb.l);
  };
  /* A name as one shell word, for the commands the page suggests. */
  const shellWord = (s) => (/^[\w.@%+=:,/-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'");
  /* `--bind NAME=VALUE` for kg query: the value quoted when it would read as a number or IRI. */
  const bindArg = (name, value) => "--bind " + shellWord(name + "=" +
    (/^[+-]?\d+$|^<|^[A-Za-z][\w.-]*:|^".*"$/.test(value) ? '"' + value + '"' : value));
  /* The commands that show what a page leaves out about an entity. */
  function commands(label) {
    return ["kg view " + shellWord(label) + " -o page.html",
      "kg query --example evidence " + bindArg("entity", label)];
  }

  /* ---------- the page's own data ---------- */
  function local(D) {
    const types = D.types.map((t) => t[0]);
    const kinds = D.kinds.map((k) => k[0]);
    const E = D.E.map(([id, l, ti, n, a], i) => ({ id, l, t: types[ti], n, a, i }));
    const P = D.P.map(([id, l, u, d, au, a], j) => ({ id, l, u, d, au, a, j }));
    const eIdx = new Map(E.map((e) => [e.id, e.i]));
    const pIdx = new Map(P.map((p) => [p.id, p.j]));
    const papersOf = E.map(() => []);
    D.L.forEach((row, p) => { for (const x of row) papersOf[x >= 0 ? x : ~x].push(p); });
    const relsOf = E.map(() => []);
    D.R.forEach((r, k) => {
      relsOf[r[0]].push(k);
      if (r[2] !== r[0]) relsOf[r[2]].push(k);
    });
    const entOf = (x) => (x >= 0 ? x : ~x);
    const results = D.X || [];
    const resultsOfEntity = E.map(() => []);
    const resultsOfPaper = P.map(() => []);
    results.forEach((x, k) => {
      resultsOfPaper[x[0]].push(k);
      for (const i of new Set(x[3].map((role) => role[1]))) resultsOfEntity[i].push(k);
    });

    function info(id) {
      const i = eIdx.get(id);
      if (i !== undefined) {
        const e = E[i];
        return { kind: "entity", l: e.l, t: e.t, n: e.n };
      }
      const j = pIdx.get(id);
      if (j !== undefined) {
        const p = P[j];
        return { kind: "paper", l: p.l, d: p.d, u: p.u };
      }
      return null;
    }
    const sortPapers = byDateThenTitle((id) => P[pIdx.get(id)]);
    const fieldText = (p, f) => (f === 0 ? P[p].l : P[p].a);

    /* The evidence of paper p for its k-th link: one item per sentence, mentions marked. */
    function evidence(p, k) {
      return D.V ? evidenceItems(p, D.V[p][k] || []) : null;
    }
    function evidenceItems(p, evs) {
      const bySentence = new Map();
      for (const ev of evs) {
        let key;
        let item;
        if (ev.length === 5) {
          const text = fieldText(p, ev[0]);
          if (text == null) continue;
          key = ev[0] + ":" + ev[3] + ":" + ev[4];
          item = bySentence.get(key) || { f: ev[0] ? "abstract" : "title", s: text.slice(ev[3], ev[4]), m: [] };
          item.m.push([ev[1] - ev[3], ev[2] - ev[3]]);
        } else {
          key = "s:" + ev[1];
          item = bySentence.get(key) || { f: ev[0] ? "abstract" : "title", s: ev[1], m: [] };
          const at = ev[2] ? ev[1].indexOf(ev[2]) : -1;
          if (at >= 0) item.m.push([at, at + ev[2].length]);
        }
        bySentence.set(key, item);
      }
      return [...bySentence.values()];
    }
    function sentence(p, ref) {
      if (ref == null) return null;
      if (typeof ref === "string") return ref;
      const text = fieldText(p, ref[0]);
      return text == null ? null : text.slice(ref[1], ref[2]);
    }
    function statement(ri, forPaper) {
      const [h, k, t, st] = D.R[ri];
      return { h, k: kinds[k], t, st: st.filter(([p]) => forPaper === undefined || p === forPaper)
        .map(([p, s, r]) => ({ p: P[p].id, s: sentence(p, s), r })) };
    }
    /* Result k as the record has it; its paper and entities named in `named`. */
    function result(k, named) {
      const [p, v, kind, roles, ev] = results[k];
      named.add(P[p].id);
      for (const [, i] of roles) named.add(E[i].id);
      const item = ev ? evidenceItems(p, [ev])[0] : null;
      return { v, k: kind, roles: roles.map(([r, i]) => [kinds[r], E[i].id]), p: P[p].id, ev: item || null };
    }
    function refsOf(ids) {
      const refs = {};
      for (const id of ids) refs[id] = info(id);
      return refs;
    }
    function missing(label) {
      return D.missing ? [D.missing, commands(label)] : null;
    }

    function entity(id) {
      const i = eIdx.get(id);
      if (i === undefined) return null;
      const e = E[i];
      const named = new Set([id]);
      const papers = papersOf[i].map((p) => {
        const k = D.L[p].findIndex((x) => entOf(x) === i);
        named.add(P[p].id);
        return { p: P[p].id, r: D.L[p][k] < 0 ? "introduces" : "mentions", ev: evidence(p, k) };
      }).sort((a, b) => (a.r === "introduces" ? 0 : 1) - (b.r === "introduces" ? 0 : 1) || sortPapers(a.p, b.p));
      const relations = relsOf[i].map((ri) => {
        const s = statement(ri);
        const out = s.h === i;
        named.add(E[out ? s.t : s.h].id);
        for (const x of s.st) named.add(x.p);
        return { k: s.k, d: out ? "out" : "in", e: E[out ? s.t : s.h].id, st: s.st };
      });
      const counts = new Map();
      for (const p of papersOf[i]) {
        for (const x of D.L[p]) {
          const o = entOf(x);
          if (o !== i) counts.set(o, (counts.get(o) || 0) + 1);
        }
      }
      const neighbours = [...counts].map(([o, n]) => ({ e: E[o].id, n }))
        .sort((a, b) => b.n - a.n || E[eIdx.get(a.e)].l.localeCompare(E[eIdx.get(b.e)].l));
      const totals = {};
      for (const nb of neighbours) {
        named.add(nb.e);
        const t = E[eIdx.get(nb.e)].t;
        totals[t] = (totals[t] || 0) + 1;
      }
      const found = resultsOfEntity[i].map((k) => result(k, named))
        .sort((a, b) => sortPapers(a.p, b.p));
      return { id, l: e.l, t: e.t, a: e.a, n: e.n, papers, more: { papers: e.n - papers.length },
        relations, neighbours, totals, results: found, missing: missing(e.l), refs: refsOf(named) };
    }

    function paper(id) {
      const j = pIdx.get(id);
      if (j === undefined) return null;
      const p = P[j];
      const named = new Set([id]);
      const ents = D.L[j].map((x, k) => {
        const o = entOf(x);
        named.add(E[o].id);
        const sp = [];
        for (const ev of (D.V ? D.V[j][k] : null) || []) {
          if (ev.length === 5) sp.push([ev[0] ? "abstract" : "title", ev[1], ev[2]]);
          else if (ev[2] && p.a) {
            const at = p.a.indexOf(ev[2]);
            if (at >= 0) sp.push(["abstract", at, at + ev[2].length]);
          }
        }
        return { e: E[o].id, r: x < 0 ? "introduces" : "mentions", sp };
      });
      const relations = [];
      const seen = new Set();
      for (const x of D.L[j]) {
        for (const ri of relsOf[entOf(x)]) {
          if (seen.has(ri)) continue;
          seen.add(ri);
          const s = statement(ri, j);
          for (const st of s.st) {
            relations.push({ k: s.k, h: E[s.h].id, t: E[s.t].id, s: st.s, r: st.r });
            named.add(E[s.h].id);
            named.add(E[s.t].id);
          }
        }
      }
      const found = resultsOfPaper[j].map((k) => result(k, named));
      return { id, l: p.l, a: p.a, u: p.u, d: p.d, au: p.au, ents, relations, results: found,
        missing: p.a == null ? [D.missing, ["kg query --example paper-entities " +
          bindArg("paper_title", p.l.slice(0, 60))]] : null, refs: refsOf(named) };
    }

    function shared(a, b) {
      const i = eIdx.get(a);
      const k = eIdx.get(b);
      if (i === undefined || k === undefined) return [];
      const other = new Set(papersOf[k]);
      return papersOf[i].filter((p) => other.has(p)).map((p) => P[p].id).sort(sortPapers);
    }

    /* The entities within `radius` shared-paper steps of `id` (itself included). */
    function around(id, radius) {
      const start = eIdx.get(id);
      const seen = new Set([start]);
      let frontier = [start];
      for (let step = 0; step < radius; step++) {
        const next = [];
        for (const i of frontier) {
          for (const p of papersOf[i]) {
            for (const x of D.L[p]) {
              const o = entOf(x);
              if (!seen.has(o)) {
                seen.add(o);
                next.push(o);
              }
            }
          }
        }
        frontier = next;
      }
      return new Set([...seen].map((i) => E[i].id));
    }

    /* ---------- search ---------- */
    let index = null;  // built at the first search
    function searchIndex() {
      index = [];
      const addKey = (entry, text) => {
        const key = text.toLowerCase();
        index.push(Object.assign({ key }, entry, { text }));
        const shown = kgTex.tex(text);
        if (shown !== text) index.push(Object.assign({}, entry, { key: shown.toLowerCase(), text }));
      };
      for (const e of E) {
        addKey({ id: e.id, alias: false, n: e.n }, e.l);
        for (const a of e.a) addKey({ id: e.id, alias: true, n: e.n }, a);
      }
      for (const p of P) addKey({ id: p.id, alias: false, n: -1, paper: true }, p.l);
      return index;
    }
    /* Best matches of q among labels and aliases: exact, then prefix, then word start, then
     * anywhere; entities before papers; more papers first. */
    function search(q, limit) {
      q = q.trim().toLowerCase();
      if (!q) return [];
      const best = new Map();
      for (const it of index || searchIndex()) {
        const i = it.key.indexOf(q);
        if (i < 0) continue;
        let score = it.key === q ? 0 : i === 0 ? 1 : /[^\p{L}\p{N}]/u.test(it.key[i - 1]) ? 2 : 3;
        score += (it.alias ? 0.5 : 0) + (it.paper ? 4 : 0);
        const prev = best.get(it.id);
        if (!prev || score < prev.score) best.set(it.id, { id: it.id, score, text: it.text, alias: it.alias, n: it.n });
      }
      return [...best.values()]
        .sort((a, b) => a.score - b.score || b.n - a.n || a.text.localeCompare(b.text))
        .slice(0, limit || 12);
    }

    const now = (f) => (...args) => Promise.resolve(f(...args));
    return {
      mode: "file", E, P, info, drawable: D.drawable,
      /* for drawing papers: the papers and entity indexes of each */
      paperIndexes: (i) => papersOf[i], paperEntities: (j) => D.L[j].map(entOf),
      paperIntroduces: (j, i) => D.L[j].includes(~i),
      searchNow: search,
      entity: now(entity), paper: now(paper), shared: now(shared), around: now(around),
      search: now(search),
    };
  }

  /* ---------- kg serve's JSON API, on the page's own origin ---------- */
  function remote(D) {
    const types = D.types.map((t) => t[0]);
    const E = D.E.map(([id, l, ti, n, a], i) => ({ id, l, t: types[ti], n, a, i }));
    const cache = new Map(E.map((e) => [e.id, { kind: "entity", l: e.l, t: e.t, n: e.n }]));
    const learn = (refs) => {
      for (const [id, r] of Object.entries(refs || {})) {
        if (r) cache.set(id, Object.assign({ kind: r.t ? "entity" : "paper" }, r));
      }
    };
    async function get(path, params) {
      const url = D.api + path + "?" + new URLSearchParams(params).toString();
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const body = await response.json().catch(() => ({ error: response.statusText }));
      if (!response.ok) throw new Error(body.error || response.statusText);
      learn(body.refs);
      return body;
    }
    return {
      mode: "served", E, P: [], drawable: D.drawable,
      info: (id) => cache.get(id) || null,
      paperIndexes: () => [], paperEntities: () => [], paperIntroduces: () => false,
      searchNow: null,
      entity: (id) => get("entity", { id }),
      paper: (id) => get("paper", { id }),
      shared: async (a, b) => (await get("shared", { a, b })).papers,
      around: async (id, radius) => new Set((await get("around", { id, radius })).entities),
      search: async (q) => (q.trim() ? (await get("search", { q })).hits : []),
    };
  }

  return { local, remote, commands, bindArg };
})();
