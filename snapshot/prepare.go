package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// lastApplied is the annotation kubectl apply leaves, which holds a copy of
// the object as applied: for a Secret, its values.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// prepareOptions say how an object is turned into a record.
type prepareOptions struct {
	// readSecrets keeps a Secret's data, as digests; else only its
	// metadata is kept.
	readSecrets bool
	// metadataOnly: the JSON is a PartialObjectMetadata of a Secret.
	metadataOnly bool
	// apiVersion and kind are set for objects of a list, whose items the
	// API server sends without them.
	apiVersion, kind string
	// defaultNamespace is set for namespaced objects read from files: one
	// without a namespace gets this one, as the API server would give it.
	defaultNamespace string
}

// prepare turns the JSON of an object into what a snapshot stores: the
// object minus its managedFields; for a Secret, its metadata only (minus the
// last-applied annotation), or with readSecrets its data as digests. It
// returns the JSON and the record's Partial.
func prepare(raw []byte, o prepareOptions) (json.RawMessage, string, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, "", err
	}
	md, _ := obj["metadata"].(map[string]any)
	if md == nil {
		return nil, "", errors.New("the object has no metadata")
	}
	delete(md, "managedFields")
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if o.kind != "" {
		// An item of a list, or a PartialObjectMetadata: say what it is.
		apiVersion, kind = o.apiVersion, o.kind
		obj["apiVersion"], obj["kind"] = apiVersion, kind
	}
	if o.defaultNamespace != "" {
		if ns, _ := md["namespace"].(string); ns == "" {
			md["namespace"] = o.defaultNamespace
		}
	}
	partial := ""
	if apiVersion == "v1" && kind == "Secret" {
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, lastApplied)
			if len(ann) == 0 {
				delete(md, "annotations")
			}
		}
		if o.metadataOnly || !o.readSecrets {
			obj = map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
			partial = PartialMetadata
		} else {
			ns, _ := md["namespace"].(string)
			name, _ := md["name"].(string)
			digestSecret(obj, ns, name)
		}
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, "", err
	}
	return out, partial, nil
}

// decodeObject decodes a JSON object, keeping numbers as written.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return obj, nil
}

// digestSecret replaces the values of a Secret's data (base64, as the API
// holds them) and stringData (plain, as files may write them; merged into
// data as the API server does) with digests.
func digestSecret(obj map[string]any, namespace, name string) {
	out := map[string]any{}
	if data, ok := obj["data"].(map[string]any); ok {
		for k, v := range data {
			s, _ := v.(string)
			value, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				value = []byte(s) // not base64: the API server would refuse it; digest it as written
			}
			out[k] = SecretDigest(namespace, name, k, value)
		}
	}
	if sd, ok := obj["stringData"].(map[string]any); ok {
		for k, v := range sd {
			s, _ := v.(string)
			out[k] = SecretDigest(namespace, name, k, []byte(s))
		}
		delete(obj, "stringData")
	}
	if _, had := obj["data"]; had || len(out) > 0 {
		obj["data"] = out
	}
}

// SecretDigest is what a snapshot stores in place of the value of key in
// the Secret namespace/name: "sha256:" and the hexadecimal SHA-256 of the
// Secret's identity, the key and the value. The identity makes the digest
// of a common value (a default password) differ from one Secret to the
// next, so that it cannot be looked up in a table made in advance, nor two
// Secrets be seen to share a value; the same value under the same key of
// the same Secret always has the same digest, so that a diff tells when it
// changed. A low-entropy value can still be guessed by trying candidates
// against its digest: keep snapshots taken with --read-secrets as private
// as the cluster's credentials.
func SecretDigest(namespace, name, key string, value []byte) string {
	h := sha256.New()
	for _, s := range []string{"dozor-secret-v1", namespace, name, key} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(value)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
