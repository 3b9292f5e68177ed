// Package check holds parkdesk's deployment checks (make deploy-check): the
// Kubernetes overlays render with kustomize and validate against the
// Kubernetes schemas with kubeconform, offline; the rendered objects follow
// the house rules (probes, resources, disruption budgets, autoscaling,
// migration jobs, network policy); nats-server accepts deploy/nats; the
// declared JetStream streams match pkg/event; and each service's NATS user
// may publish only its own prefix. The cluster test is in ./cluster.
package check

//go:generate go run ./cmd/genschemas
//go:generate go run ./cmd/genaccounts
