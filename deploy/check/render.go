package check

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/yannh/kubeconform/pkg/validator"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Root returns the repository root (the directory holding go.work), found
// from this source file's location or, failing that, the working directory.
func Root() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
				if _, err := os.Stat(filepath.Join(d, "deploy", "k8s")); err == nil {
					return d, nil
				}
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("repository root (go.work with deploy/k8s beside it) not found")
}

// Render runs kustomize build on dir, as `kubectl kustomize dir` does (load
// restrictions on: a kustomization reads only files under its own root).
func Render(dir string) ([]byte, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return out, nil
}

// Object is one rendered resource, decoded.
type Object map[string]any

// Kind is the object's kind.
func (o Object) Kind() string { s, _ := o["kind"].(string); return s }

// Name is metadata.name.
func (o Object) Name() string { s, _ := o.Get("metadata", "name").(string); return s }

// ID is "Kind/name".
func (o Object) ID() string { return o.Kind() + "/" + o.Name() }

// Get walks maps by key and slices by int index; nil when absent.
func (o Object) Get(path ...any) any {
	var cur any = map[string]any(o)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		case int:
			s, ok := cur.([]any)
			if !ok || k >= len(s) {
				return nil
			}
			cur = s[k]
		}
	}
	return cur
}

// Split decodes a multi-document YAML stream into objects.
func Split(stream []byte) ([]Object, error) {
	var out []Object
	for _, doc := range bytes.Split(stream, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var o Object
		if err := yaml.Unmarshal(doc, &o); err != nil {
			return nil, fmt.Errorf("decode rendered document: %w", err)
		}
		if o != nil {
			out = append(out, o)
		}
	}
	return out, nil
}

// Validate checks every document of stream against the Kubernetes schemas
// vendored in schemaDir (kubeconform, strict: unknown fields and duplicate
// keys are errors; a kind without a schema is an error too). It downloads
// nothing.
func Validate(stream []byte, schemaDir string) error {
	v, err := validator.New(
		[]string{filepath.Join(schemaDir, "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}", "{{ .ResourceKind }}{{ .KindSuffix }}.json")},
		validator.Opts{Strict: true, KubernetesVersion: "master"},
	)
	if err != nil {
		return err
	}
	var errs []error
	valid := 0
	for _, r := range v.Validate("rendered", io.NopCloser(bytes.NewReader(stream))) {
		switch r.Status {
		case validator.Valid:
			valid++
		case validator.Empty:
		default:
			sig, _ := r.Resource.Signature()
			id := "?"
			if sig != nil {
				id = sig.Kind + "/" + sig.Name
			}
			msg := fmt.Sprint(r.Err)
			for _, ve := range r.ValidationErrors {
				msg += fmt.Sprintf("\n\t%s: %s", ve.Path, ve.Msg)
			}
			errs = append(errs, fmt.Errorf("%s: %s", id, msg))
		}
	}
	if valid == 0 && len(errs) == 0 {
		return errors.New("nothing to validate")
	}
	return errors.Join(errs...)
}

// NATSTestEnv is the environment deploy/nats/nats.conf expects, with dummy
// secrets and loopback ports, for `nats-server -t`.
func NATSTestEnv(storeDir string) []string {
	env := []string{
		"NATS_SERVER_NAME=check-0", "NATS_HOST=127.0.0.1", "NATS_CLIENT_PORT=4222",
		"NATS_CLUSTER_PORT=6222", "NATS_MONITOR_PORT=8222", "NATS_STORE_DIR=" + storeDir,
		"NATS_ROUTE_PASSWORD=check",
		"NATS_ROUTE_1=nats-route://route:check@127.0.0.1:6222",
		"NATS_ROUTE_2=nats-route://route:check@127.0.0.1:6223",
		"NATS_ROUTE_3=nats-route://route:check@127.0.0.1:6224",
	}
	for _, u := range NATSUsers {
		env = append(env, "NATS_PASSWORD_"+strings.ToUpper(u)+"=check-"+u)
	}
	return env
}

// NATSUsers are the users deploy/nats/accounts.conf declares.
var NATSUsers = []string{"sys", "ops", "intake", "liaison", "approval", "policy", "sla", "gateway"}

// Services lists parkdesk's services with their HTTP ports and whether they
// own data (a schema, a migration Job, a PostgreSQL role).
var Services = []struct {
	Name string
	Port int
	Data bool
}{
	{"intake", 8081, true}, {"liaison", 8082, true}, {"approval", 8083, true},
	{"policy", 8084, true}, {"sla", 8085, true}, {"gateway", 8080, false},
}

// TestConfig runs `nats-server -t -c conf` with env and returns its output.
func TestConfig(natsServer, conf string, env []string) (string, error) {
	cmd := exec.Command(natsServer, "-t", "-c", conf)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = filepath.Dir(conf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("nats-server -t %s: %w: %s", conf, err, out)
	}
	return string(out), nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
