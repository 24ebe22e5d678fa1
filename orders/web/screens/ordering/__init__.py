"""The ordering workflow: drafts, sections, materials, review, place, discard."""
