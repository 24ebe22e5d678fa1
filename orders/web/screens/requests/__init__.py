"""Content requests: titles the catalog lacks, requested on orders and researched by staff."""
