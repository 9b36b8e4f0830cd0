/* TeX fragments as readable text: `8\%` -> 8%, `$\mathcal{B}$` -> B, `$10^{-3}$` -> 10⁻³.
 *
 * The one converter of the explorer (titles, abstracts, labels, evidence, CSV). The stored
 * text is never changed: texText(s) returns the text shown and a map from offsets in `s` to
 * offsets in it, so mentions found at offsets of the stored text are marked on the text shown.
 * Only what abstracts use is handled: escapes (\% \& \_ \# \$ \{ \}), inline math ($...$ and
 * \(...\), with Pandoc's rule that `$5 and $10` is no math), font and text commands with an
 * argument (\mathcal \mathbf \textbf \emph \text ...), {\it x} groups, ^ and _ in math (as
 * Unicode super- and subscripts when every character has one), Greek letters, common symbols,
 * and the \eg \ie \etc macros. An unknown command keeps its argument (or its name). */
const kgTex = (function () {
  "use strict";

  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ",
    eta: "η", theta: "θ", vartheta: "ϑ", iota: "ι", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν",
    xi: "ξ", pi: "π", rho: "ρ", sigma: "σ", tau: "τ", upsilon: "υ", phi: "φ", varphi: "φ",
    chi: "χ", psi: "ψ", omega: "ω", Gamma: "Γ", Delta: "Δ", Theta: "Θ", Lambda: "Λ", Xi: "Ξ",
    Pi: "Π", Sigma: "Σ", Upsilon: "Υ", Phi: "Φ", Psi: "Ψ", Omega: "Ω",
    times: "×", cdot: "·", leq: "≤", le: "≤", geq: "≥", ge: "≥", neq: "≠", ne: "≠",
    sim: "~", approx: "≈", simeq: "≃", equiv: "≡", pm: "±", mp: "∓", infty: "∞", propto: "∝",
    rightarrow: "→", to: "→", leftarrow: "←", Rightarrow: "⇒", Leftarrow: "⇐",
    leftrightarrow: "↔", mapsto: "↦", uparrow: "↑", downarrow: "↓", in: "∈", notin: "∉",
    subset: "⊂", subseteq: "⊆", cup: "∪", cap: "∩", forall: "∀", exists: "∃", nabla: "∇",
    partial: "∂", sum: "∑", prod: "∏", int: "∫", sqrt: "√", ell: "ℓ", top: "⊤", circ: "∘",
    star: "⋆", ast: "∗", ldots: "…", dots: "…", cdots: "⋯", log: "log", exp: "exp",
    max: "max", min: "min", arg: "arg", lfloor: "⌊", rfloor: "⌋", lceil: "⌈", rceil: "⌉",
    langle: "⟨", rangle: "⟩", textasciitilde: "~", quad: " ", qquad: " ", ",": " ", ";": " ",
    "!": "", " ": " ", "\\": " ", "%": "%", "&": "&", "_": "_", "#": "#", "$": "$", "{": "{",
    "}": "}", textbackslash: "\\", S: "§", P: "¶", copyright: "©", dag: "†", ddag: "‡",
  };
  /* Macros that end with a full stop: a following "." is theirs. */
  const ABBREVIATIONS = { eg: "e.g.", ie: "i.e.", etc: "etc.", vs: "vs.", etal: "et al.",
    wrt: "w.r.t.", cf: "cf." };
  /* \'e \`e \^e \"o \~n: the letter with a combining accent */
  const ACCENTS = { "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303" };
  const BLACKBOARD = { R: "ℝ", N: "ℕ", Z: "ℤ", Q: "ℚ", C: "ℂ", E: "𝔼", P: "ℙ" };
  const SUPER = { 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸",
    9: "⁹", "+": "⁺", "-": "⁻", "=": "⁼", "(": "⁽", ")": "⁾", n: "ⁿ", i: "ⁱ", T: "ᵀ", k: "ᵏ",
    t: "ᵗ", x: "ˣ", a: "ᵃ", b: "ᵇ", c: "ᶜ", d: "ᵈ", e: "ᵉ", f: "ᶠ", g: "ᵍ", h: "ʰ",
    j: "ʲ", l: "ˡ", m: "ᵐ", o: "ᵒ", p: "ᵖ", r: "ʳ", s: "ˢ", u: "ᵘ", v: "ᵛ", w: "ʷ", y: "ʸ", z: "ᶻ", "*": "*", "′": "′", "⊤": "ᵀ", "∗": "*" };
  const SUB = { 0: "₀", 1: "₁", 2: "₂", 3: "₃", 4: "₄", 5: "₅", 6: "₆", 7: "₇", 8: "₈", 9: "₉",
    "+": "₊", "-": "₋", "=": "₌", "(": "₍", ")": "₎", i: "ᵢ", j: "ⱼ", k: "ₖ", n: "ₙ", t: "ₜ",
    x: "ₓ", a: "ₐ", e: "ₑ", o: "ₒ", m: "ₘ", p: "ₚ", s: "ₛ", l: "ₗ", h: "ₕ", r: "ᵣ", u: "ᵤ", v: "ᵥ" };

  /* Convert s[from, to): push pieces [srcStart, srcEnd, text, copied] to out. */
  function convert(s, from, to, math, out) {
    let i = from;
    let plain = from;  // start of the run of text copied as it is
    const flush = (at) => {
      if (at > plain) out.push([plain, at, s.slice(plain, at), true]);
    };
    const emit = (start, end, text) => {
      flush(start);
      out.push([start, end, text, false]);
      plain = end;
    };
    const inner = (start, end, inMath) => {  // s[start, end) converted in its turn
      flush(start);
      convert(s, start, end, inMath, out);
      plain = end;
    };
    while (i < to) {
      const c = s[i];
      if (c === "\\") {
        const m = /^\\([A-Za-z]+|[^A-Za-z\s]?)(\s*)/.exec(s.slice(i, Math.min(to, i + 40)));
        const name = m[1];
        let end = i + 1 + name.length;
        if (name === "(" && !math) {  // \( ... \)
          const close = s.indexOf("\\)", end);
          if (close > 0 && close + 2 <= to) {
            emit(i, end, "");
            inner(end, close, true);
            emit(close, close + 2, "");
            i = plain = close + 2;
            continue;
          }
        }
        if (ABBREVIATIONS[name]) {
          if (s[end] === ".") end += 1;
          emit(i, end, ABBREVIATIONS[name]);
          i = end;
          continue;
        }
        if (/^[A-Za-z]+$/.test(name) && s[end + m[2].length] === "{") {  // \cmd{arg}
          const open = end + m[2].length;
          const close = matching(s, open, to);
          if (close > 0) {
            if (name === "mathbb" && close === open + 2 && BLACKBOARD[s[open + 1]]) {
              emit(i, close + 1, BLACKBOARD[s[open + 1]]);
            } else if (SYMBOLS[name] !== undefined && name !== "sqrt") {
              emit(i, open, SYMBOLS[name]);
              emit(open, open + 1, "");
              inner(open + 1, close, math);
              emit(close, close + 1, "");
            } else {
              emit(i, open + 1, name === "sqrt" ? "√(" : "");
              inner(open + 1, close, math);
              emit(close, close + 1, name === "sqrt" ? ")" : "");
            }
            i = plain = close + 1;
            continue;
          }
        }
        if (name === "") {  // a lone backslash
          i += 1;
          continue;
        }
        if (ACCENTS[name] && /[A-Za-z]/.test(s[end] || "")) {  // \'e
          emit(i, end + 1, (s[end] + ACCENTS[name]).normalize("NFC"));
          i = end + 1;
          continue;
        }
        if (ACCENTS[name] && /^\{[A-Za-z]\}/.test(s.slice(end, end + 3))) {  // \'{e}
          emit(i, end + 3, (s[end + 1] + ACCENTS[name]).normalize("NFC"));
          i = end + 3;
          continue;
        }
        // a symbol, or an unknown command, which keeps its name (\- and the like: nothing)
        emit(i, end, SYMBOLS[name] !== undefined ? SYMBOLS[name] : /^[A-Za-z]/.test(name) ? name : "");
        i = end;
        continue;
      }
      if (c === "$" && !math) {
        const close = mathEnd(s, i, to);
        if (close > 0) {
          emit(i, i + 1, "");
          inner(i + 1, close, true);
          emit(close, close + 1, "");
          i = plain = close + 1;
          continue;
        }
      }
      if (c === "{") {  // a group: {\it x}, {\bf x}, {x}
        const close = matching(s, i, to);
        if (close > 0) {
          const font = /^\{\\(it|bf|em|sc|tt|rm|sf|sl)\b\s*/.exec(s.slice(i, close));
          const start = i + (font ? font[0].length : 1);
          emit(i, start, "");
          inner(start, close, math);
          emit(close, close + 1, "");
          i = plain = close + 1;
          continue;
        }
      }
      if (math && (c === "^" || c === "_")) {
        const table = c === "^" ? SUPER : SUB;
        let start = i + 1;
        let end;
        if (s[start] === "{") {
          end = matching(s, start, to);
          if (end < 0) { i += 1; continue; }
          const parts = [];
          convert(s, start + 1, end, true, parts);
          const text = parts.map((p) => p[2]).join("");
          const chars = [...text];
          const mapped = chars.every((ch) => table[ch] !== undefined)
            ? chars.map((ch) => table[ch]).join("") : (c === "^" ? "^" : "_") + (chars.length > 1 ? "(" + text + ")" : text);
          emit(i, end + 1, mapped);
          i = plain = end + 1;
          continue;
        }
        if (start < to) {
          let arg = s[start];
          end = start + 1;
          if (arg === "\\") {
            const m = /^\\([A-Za-z]+)/.exec(s.slice(start, to));
            if (m) {
              arg = SYMBOLS[m[1]] !== undefined ? SYMBOLS[m[1]] : m[1];
              end = start + m[0].length;
            }
          }
          emit(i, end, table[arg] !== undefined ? table[arg] : arg);
          i = plain = end;
          continue;
        }
      }
      if (math && c === "~") {
        emit(i, i + 1, " ");
        i += 1;
        continue;
      }
      if (math && c === "}") {  // an unmatched brace inside math
        emit(i, i + 1, "");
        i += 1;
        continue;
      }
      i += 1;
    }
    flush(to);
    plain = to;
  }

  /* The index of the "}" that closes the "{" at s[open], or -1 before `to`. */
  function matching(s, open, to) {
    let depth = 0;
    for (let i = open; i < to; i++) {
      if (s[i] === "\\") { i += 1; continue; }
      if (s[i] === "{") depth += 1;
      else if (s[i] === "}" && --depth === 0) return i;
    }
    return -1;
  }

  /* The "$" that closes inline math opened at s[open], or -1: Pandoc's rule (no space after
   * the opening or before the closing one, no digit right after the closing one, one line). */
  function mathEnd(s, open, to) {
    if (s[open + 1] === "$" || /\s/.test(s[open + 1] || " ")) return -1;
    for (let i = open + 1; i < to && i < open + 300; i++) {
      if (s[i] === "\\") { i += 1; continue; }
      if (s[i] === "\n") return -1;
      if (s[i] === "$") {
        return /\s/.test(s[i - 1]) || /[0-9]/.test(s[i + 1] || "") ? -1 : i;
      }
    }
    return -1;
  }

  /* {text, start(i), end(i)}: the text shown for `s`, and where an offset of `s` falls in it
   * (start: for the start of a span, end: for its end; inside a converted piece a span grows
   * to the whole piece). */
  function texText(s) {
    s = s == null ? "" : String(s);
    if (!/[\\$^_{}]/.test(s)) {
      return { text: s, start: (i) => i, end: (i) => i, changed: false };
    }
    const pieces = [];
    convert(s, 0, s.length, false, pieces);
    const outStart = [];
    let at = 0;
    for (const p of pieces) {
      outStart.push(at);
      at += p[2].length;
    }
    const text = pieces.map((p) => p[2]).join("");
    const find = (i) => {  // the last piece starting at or before i
      let lo = 0;
      let hi = pieces.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (pieces[mid][0] <= i) lo = mid; else hi = mid - 1;
      }
      return lo;
    };
    const map = (i, isEnd) => {
      if (!pieces.length) return 0;
      if (i >= s.length) return text.length;
      const k = find(i);
      const [start, end, out, copied] = pieces[k];
      if (copied) return outStart[k] + Math.min(i - start, out.length);
      if (i === start) return outStart[k];
      return isEnd || i >= end ? outStart[k] + out.length : outStart[k];
    };
    return { text, start: (i) => map(i, false), end: (i) => map(i, true), changed: text !== s };
  }

  const tex = (s) => texText(s).text;
  return { tex, texText };
})();
