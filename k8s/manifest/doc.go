// Package manifest decodes Kubernetes objects from YAML and JSON streams,
// remembering the line of every field.
//
// It reads YAML as kubectl does (YAML 1.1 scalars: yes, on and off are
// booleans, 0644 is octal; merge keys), decodes each object into its Go type
// from k8s.io/api with the API server's case-sensitive strict JSON rules, and
// reports what kubectl would refuse (duplicate keys, unknown fields, wrong
// types) as errors that name the file and line. Untrusted input is bounded:
// document size, nesting depth, and alias expansion ("billion laughs").
package manifest
