// Package history records every change of a live cluster and answers two
// questions about the past: what an object looked like at a time, and what
// changed in a namespace since a time.
//
// Watch follows a cluster through watches on every resource discovery
// returns (custom resources included, events left out as k8s/live leaves
// them out, Secrets as metadata only) and writes each change, with its time
// and, where the API tells, the manager that made it, to a Store: a bbolt
// database in a directory (layout in docs/history.md). It resumes each
// watch from the last resourceVersion it stored, relists when the API
// server answers 410 Gone and records the difference between what it had
// and what it lists (deletions included), retries with backoff, and says in
// its log when it is behind.
//
// Open opens a Store for queries (At, Changes) while a watch goes on
// writing to it: the writer holds the database only for the moment of each
// batch.
package history
