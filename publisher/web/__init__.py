"""The web layer: dereferenceable IRIs with content negotiation, SPARQL, HTML pages."""
