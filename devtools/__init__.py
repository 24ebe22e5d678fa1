"""Development and benchmark tooling: demo and bulk data, the local mail sink, SQL counters. Not shipped."""
