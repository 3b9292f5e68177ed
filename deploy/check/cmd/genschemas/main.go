// Command genschemas writes the Kubernetes JSON schemas that make
// deploy-check validate offline: kubeconform normally downloads them, and this
// machine reaches no network but the package registries.
//
// Its source is the Kubernetes OpenAPI definitions (_definitions.json of the
// kubernetes-json-schema project, Kubernetes 1.33 era) that ship inside the
// kubeconform Go module as a test fixture. For each kind the manifests use it
// writes a standalone, strict schema — the kind's definition at the root, the
// definitions it references (transitively) under "definitions", and
// additionalProperties: false on every object with declared properties — in
// kubeconform's file layout:
//
//	schemas/master-standalone-strict/<kind>-<group>-<version>.json
//
// Descriptions are dropped (they do not take part in validation). Run from
// deploy/check: `go run ./cmd/genschemas` (go generate does it). Add a kind
// below when the manifests start using one; deploy-check fails with "could
// not find schema" until then.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// kinds are the definitions to write, by OpenAPI name.
var kinds = []string{
	"io.k8s.api.apps.v1.Deployment",
	"io.k8s.api.apps.v1.StatefulSet",
	"io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
	"io.k8s.api.batch.v1.Job",
	"io.k8s.api.core.v1.ConfigMap",
	"io.k8s.api.core.v1.Namespace",
	"io.k8s.api.core.v1.Secret",
	"io.k8s.api.core.v1.Service",
	"io.k8s.api.core.v1.ServiceAccount",
	"io.k8s.api.networking.v1.NetworkPolicy",
	"io.k8s.api.policy.v1.PodDisruptionBudget",
}

func main() {
	out := flag.String("out", "schemas/master-standalone-strict", "output directory")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "genschemas:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	defs, src, err := loadDefinitions()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, k := range kinds {
		def, ok := defs[k]
		if !ok {
			return fmt.Errorf("%s: no such definition in %s", k, src)
		}
		root, err := clone(def)
		if err != nil {
			return err
		}
		closure := map[string]any{}
		if err := collect(root, defs, closure); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		doc := strict(strip(root)).(map[string]any)
		if len(closure) > 0 {
			for n, d := range closure {
				closure[n] = strict(strip(d))
			}
			doc["definitions"] = closure
		}
		name, err := fileName(def)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", " ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %d definitions, %d bytes\n", name, len(closure), buf.Len())
	}
	return nil
}

// loadDefinitions finds _definitions.json in the kubeconform module's fixtures.
func loadDefinitions() (map[string]any, string, error) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/yannh/kubeconform").Output()
	if err != nil {
		return nil, "", fmt.Errorf("locate the kubeconform module (go mod download github.com/yannh/kubeconform): %w", err)
	}
	files, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(dir)), "fixtures", "cache", "*"))
	if err != nil {
		return nil, "", err
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, "", err
		}
		var doc struct {
			Definitions map[string]any `json:"definitions"`
		}
		if json.Unmarshal(b, &doc) == nil && len(doc.Definitions) > 100 {
			return doc.Definitions, f, nil
		}
	}
	return nil, "", errors.New("no _definitions.json among the kubeconform module's fixtures/cache")
}

// collect adds every definition v references, transitively, to into.
func collect(v any, defs, into map[string]any) error {
	switch t := v.(type) {
	case map[string]any:
		if r, ok := t["$ref"].(string); ok {
			name, ok := strings.CutPrefix(r, "#/definitions/")
			if !ok {
				return fmt.Errorf("unexpected $ref %q", r)
			}
			if _, seen := into[name]; !seen {
				d, ok := defs[name]
				if !ok {
					return fmt.Errorf("missing definition %s", name)
				}
				c, err := clone(d)
				if err != nil {
					return err
				}
				into[name] = c
				if err := collect(c, defs, into); err != nil {
					return err
				}
			}
		}
		for _, e := range t {
			if err := collect(e, defs, into); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if err := collect(e, defs, into); err != nil {
				return err
			}
		}
	}
	return nil
}

// strip drops descriptions from a schema (not from a "properties" map, where
// "description" could be a field name).
func strip(v any) any {
	switch t := v.(type) {
	case map[string]any:
		delete(t, "description")
		for k, e := range t {
			if k == "properties" {
				if props, ok := e.(map[string]any); ok {
					for pk, pv := range props {
						props[pk] = strip(pv)
					}
					continue
				}
			}
			t[k] = strip(e)
		}
	case []any:
		for i, e := range t {
			t[i] = strip(e)
		}
	}
	return v
}

// strict forbids undeclared fields in every object schema that declares its
// properties, as kubeconform's "-strict" schemas do.
func strict(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["properties"]; ok {
			if _, set := t["additionalProperties"]; !set {
				t["additionalProperties"] = false
			}
		}
		for k, e := range t {
			if k == "properties" {
				if props, ok := e.(map[string]any); ok {
					for pk, pv := range props {
						props[pk] = strict(pv)
					}
					continue
				}
			}
			t[k] = strict(e)
		}
	case []any:
		for i, e := range t {
			t[i] = strict(e)
		}
	}
	return v
}

// fileName is kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}.json.
func fileName(def any) (string, error) {
	m, _ := def.(map[string]any)
	gvks, _ := m["x-kubernetes-group-version-kind"].([]any)
	if len(gvks) != 1 {
		return "", errors.New("want exactly one x-kubernetes-group-version-kind")
	}
	gvk, _ := gvks[0].(map[string]any)
	kind, _ := gvk["kind"].(string)
	group, _ := gvk["group"].(string)
	version, _ := gvk["version"].(string)
	suffix := "-" + version
	if group != "" {
		suffix = "-" + strings.ToLower(strings.Split(group, ".")[0]) + "-" + version
	}
	return strings.ToLower(kind) + suffix + ".json", nil
}

func clone(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(b, &out)
}
