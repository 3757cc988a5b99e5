// Package snapshot saves what a cluster or a set of files holds, and tells
// what changed between two such pictures.
//
// A snapshot is a gzip stream of JSON lines (docs/snapshot-format.md): a
// header (format version, tool, time, source), one record per object, as
// the API server returned it or as kubectl would send it from a file, minus
// what is never needed (managedFields) and never kept (Secret values), and
// an end record with the count of objects and what could not be read.
// Writer writes one, streaming, to a temporary file renamed into place on
// Commit; Reader reads one back, bounding every record and refusing a
// truncated or corrupted file with a clear error.
//
// Cluster and Files read objects into records; Compare compares a snapshot
// with another snapshot, a live cluster or files, and returns a Diff:
// objects added, removed and changed, and for changed ones the fields that
// differ, with lists of named items (containers, env, volumes) matched by
// name, not index. What changes all the time without anyone changing it
// (resourceVersion, status timestamps, leader-election leases) is ignored:
// DefaultIgnore lists it, and callers add their own patterns.
package snapshot
