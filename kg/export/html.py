"""HTML export: an interactive pyvis (vis-network) view of the graph that needs no network."""

from __future__ import annotations

import re

import networkx as nx
from pyvis.network import Network

COLOURS = {"Dataset": "#4e79a7", "Benchmark": "#59a14f", "Model": "#e15759",
           "Method": "#f28e2b", "Task": "#b07aa1", "Metric": "#edc948", "Paper": "#bab0ac"}
_CDN = re.compile(r"<(link|script)[^>]+(?:cdn\.jsdelivr|cdnjs)[^>]*>(?:\s*</script>)?", re.S)


def to_html(g: nx.DiGraph) -> str:
    net = Network(height="100vh", width="100%", directed=False, cdn_resources="in_line")
    for node, d in g.nodes(data=True):
        if d["kind"] == "paper":
            net.add_node(node, label=d["label"][:40], title=d["label"], color=COLOURS["Paper"],
                         shape="square", size=8)
        else:
            net.add_node(node, label=d["label"], title=f"{d['type']}: {d['label']}",
                         color=COLOURS[d["type"]], size=10 + 3 * d["papers"])
    for u, v, d in g.edges(data=True):
        if d["relation"] != "co_occurs":
            net.add_edge(u, v, dashes=d["relation"] == "mentions")
    net.toggle_physics(True)
    return _CDN.sub("", net.generate_html(notebook=False))
