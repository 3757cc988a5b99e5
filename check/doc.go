// Package check defines a Check, the unit of configuration analysis: a
// finding.Rule plus the function that looks for it, either in one object at a
// time or across the Index of objects deployed together.
//
// Checks are pure: they read the objects and Options they are given and
// report through the Context; they do no I/O and read no clock. Built-in
// checks live in check/<topic> packages, one file per check, and are listed
// in check/builtin. See docs/writing-a-check.md.
package check
