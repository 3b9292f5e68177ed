package check

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Rules checks the house rules on the rendered objects of an overlay:
//   - every service and the gateway: a Deployment with liveness on /healthz and
//     readiness on /readyz, CPU and memory requests and a memory limit, a
//     non-root security context, a Service, a PodDisruptionBudget and a CPU
//     HorizontalPodAutoscaler selecting it;
//   - every service that owns data: a migration Job running "<service> migrate"
//     with the Deployment's image;
//   - a default-deny ingress NetworkPolicy, and no policy that admits traffic
//     from anywhere to a pod other than the gateway's;
//   - the NATS StatefulSet has 3 nodes;
//   - prod: no Secret in the output (they come from outside git), no dev
//     settings, no HMAC token secret, every image pinned to a tag.
func Rules(objs []Object, prod bool) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	by := map[string]Object{}
	for _, o := range objs {
		by[o.ID()] = o
	}
	podLabels := map[string]map[string]any{} // workload id -> pod template labels
	for _, o := range objs {
		if o.Kind() == "Deployment" || o.Kind() == "StatefulSet" {
			l, _ := o.Get("spec", "template", "metadata", "labels").(map[string]any)
			podLabels[o.ID()] = l
		}
	}

	for _, s := range Services {
		d, ok := by["Deployment/"+s.Name]
		if !ok {
			fail("Deployment/%s: missing", s.Name)
			continue
		}
		c, _ := d.Get("spec", "template", "spec", "containers", 0).(map[string]any)
		co := Object(c)
		if p := co.Get("livenessProbe", "httpGet", "path"); p != "/healthz" {
			fail("Deployment/%s: liveness probe path %v, want /healthz", s.Name, p)
		}
		if p := co.Get("readinessProbe", "httpGet", "path"); p != "/readyz" {
			fail("Deployment/%s: readiness probe path %v, want /readyz", s.Name, p)
		}
		for _, r := range [][]any{{"requests", "cpu"}, {"requests", "memory"}, {"limits", "memory"}} {
			if co.Get(append([]any{"resources"}, r...)...) == nil {
				fail("Deployment/%s: resources.%s.%s not set", s.Name, r[0], r[1])
			}
		}
		if d.Get("spec", "template", "spec", "securityContext", "runAsNonRoot") != true {
			fail("Deployment/%s: pod must run as non-root", s.Name)
		}
		if d.Get("spec", "replicas") != nil {
			fail("Deployment/%s: spec.replicas is set; the HPA owns the replica count", s.Name)
		}
		image, _ := co.Get("image").(string)
		if prod && (!strings.Contains(image[strings.LastIndex(image, "/")+1:], ":") || strings.HasSuffix(image, ":latest")) {
			fail("Deployment/%s: image %q is not pinned to a version", s.Name, image)
		}
		if port := co.Get("ports", 0, "containerPort"); fmt.Sprint(port) != fmt.Sprint(s.Port) {
			fail("Deployment/%s: container port %v, want %d", s.Name, port, s.Port)
		}
		if !hasEnv(co, "HTTP_ADDR", fmt.Sprintf(":%d", s.Port)) {
			fail("Deployment/%s: HTTP_ADDR is not :%d", s.Name, s.Port)
		}
		if svc, ok := by["Service/"+s.Name]; !ok {
			fail("Service/%s: missing", s.Name)
		} else if !selects(svc.Get("spec", "selector"), podLabels[d.ID()]) {
			fail("Service/%s: does not select the Deployment's pods", s.Name)
		}
		pdb, ok := by["PodDisruptionBudget/"+s.Name]
		if !ok || !selects(pdb.Get("spec", "selector", "matchLabels"), podLabels[d.ID()]) {
			fail("PodDisruptionBudget/%s: missing or not selecting the Deployment's pods", s.Name)
		}
		hpa, ok := by["HorizontalPodAutoscaler/"+s.Name]
		switch {
		case !ok:
			fail("HorizontalPodAutoscaler/%s: missing", s.Name)
		case hpa.Get("spec", "scaleTargetRef", "kind") != "Deployment" || hpa.Get("spec", "scaleTargetRef", "name") != s.Name:
			fail("HorizontalPodAutoscaler/%s: does not target Deployment/%s", s.Name, s.Name)
		case hpa.Get("spec", "metrics", 0, "resource", "name") != "cpu":
			fail("HorizontalPodAutoscaler/%s: does not scale on CPU", s.Name)
		case prod && toInt(hpa.Get("spec", "minReplicas")) < 3:
			fail("HorizontalPodAutoscaler/%s: minReplicas %v, want at least 3 in prod", s.Name, hpa.Get("spec", "minReplicas"))
		}
		job, hasJob := by["Job/"+s.Name+"-migrate"]
		switch {
		case s.Data && !hasJob:
			fail("Job/%s-migrate: missing", s.Name)
		case !s.Data && hasJob:
			fail("Job/%s-migrate: %s owns no data", s.Name, s.Name)
		case hasJob:
			if img := job.Get("spec", "template", "spec", "containers", 0, "image"); img != image {
				fail("Job/%s-migrate: image %v differs from the Deployment's %s", s.Name, img, image)
			}
			if args := fmt.Sprint(job.Get("spec", "template", "spec", "containers", 0, "args")); args != "[migrate]" {
				fail("Job/%s-migrate: args %s, want [migrate]", s.Name, args)
			}
		}
	}

	// Network policy: default deny, and only the gateway open to anyone.
	denyAll := false
	for _, o := range objs {
		if o.Kind() != "NetworkPolicy" {
			continue
		}
		sel, _ := o.Get("spec", "podSelector").(map[string]any)
		rules, _ := o.Get("spec", "ingress").([]any)
		if len(sel) == 0 && len(rules) == 0 && slices.Contains(toStrings(o.Get("spec", "policyTypes")), "Ingress") {
			denyAll = true
		}
		for _, r := range rules {
			if from, _ := Object(r.(map[string]any)).Get("from").([]any); len(from) > 0 {
				continue
			}
			for id, labels := range podLabels {
				if selects(o.Get("spec", "podSelector", "matchLabels"), labels) && id != "Deployment/gateway" {
					fail("NetworkPolicy/%s: admits traffic from anywhere to %s; only the gateway may take outside traffic", o.Name(), id)
				}
			}
		}
	}
	if !denyAll {
		fail("NetworkPolicy: no default-deny ingress policy")
	}

	if nats, ok := by["StatefulSet/nats"]; !ok {
		fail("StatefulSet/nats: missing")
	} else if toInt(nats.Get("spec", "replicas")) != 3 {
		fail("StatefulSet/nats: %v replicas, want 3", nats.Get("spec", "replicas"))
	}

	if prod {
		for _, o := range objs {
			if o.Kind() == "Secret" {
				fail("%s: secrets must not be rendered into the prod overlay", o.ID())
			}
			if o.Kind() == "ConfigMap" {
				data, _ := o.Get("data").(map[string]any)
				for _, k := range []string{"PARKDESK_DEV", "AUTH_HMAC_SECRET"} {
					if _, ok := data[k]; ok {
						fail("%s: %s must not be set in prod", o.ID(), k)
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

func hasEnv(container Object, name, value string) bool {
	env, _ := container.Get("env").([]any)
	for _, e := range env {
		m, _ := e.(map[string]any)
		if m["name"] == name && m["value"] == value {
			return true
		}
	}
	return false
}

// selects reports whether every label of the selector is on labels.
func selects(selector any, labels map[string]any) bool {
	sel, _ := selector.(map[string]any)
	if len(sel) == 0 || labels == nil {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}

func toStrings(v any) []string {
	s, _ := v.([]any)
	out := make([]string, 0, len(s))
	for _, e := range s {
		out = append(out, fmt.Sprint(e))
	}
	return out
}
