// Package secret checks manifests for credentials: literal passwords, tokens
// and keys in environment variables, command lines and ConfigMaps, Secret
// objects kept in configuration files, and Secrets handed to containers as
// environment variables.
//
// The detector goes by names (DB_PASSWORD, apiKey, --client-secret) and by
// the form of values (PEM private keys, AWS access key IDs, GitHub, GitLab,
// Slack, Google and Stripe tokens, JSON Web Tokens, passwords in URLs). It
// leaves out references ($(VAR), ${VAR}, templates, secret-store URIs),
// placeholders, booleans, durations, paths, and names that denote something
// about a credential rather than the credential (TOKEN_TTL, PASSWORD_FILE,
// SECRET_NAME). Findings say where a credential is and what kind it is,
// never any part of its value.
package secret

import (
	"github.com/dozor-dev/dozor/check"
)

// Checks returns the credential checks.
func Checks() []*check.Check {
	return []*check.Check{envLiteral(), configMapCredential(), secretInEnv(), secretInManifest(), credentialInArgs()}
}

// article returns "a" or "an" for a kind of credential.
func article(kind string) string {
	switch kind[0] {
	case 'a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O':
		return "an"
	}
	return "a"
}
