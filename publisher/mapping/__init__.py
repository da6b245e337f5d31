"""Mapping: typed `Record`s -> schema.org triples (pyoxigraph terms), with minted IRIs."""
