// Package finding defines the one result type every Dozor analyzer emits: a
// Finding raised by a Rule against an object, with where it is, how severe it
// is, and how it maps onto the frameworks users are audited against. It also
// holds exceptions: the ways users suppress a finding on purpose.
//
// The package is plain data and pure functions: no I/O except reading an
// exceptions file the caller opened, no clock except the time it is given.
package finding
