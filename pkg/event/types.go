package event

import (
	"fmt"
	"reflect"

	"google.golang.org/protobuf/proto"
)

// registry maps every event type to its payload message, one map per
// publishing service (types_<service>.go).
var registry = merge(intakeTypes, approvalTypes, liaisonTypes, policyTypes, slaTypes)

func merge(maps ...map[string]proto.Message) map[string]proto.Message {
	out := map[string]proto.Message{}
	for _, m := range maps {
		for k, v := range m {
			if _, dup := out[k]; dup {
				panic("event: type registered twice: " + k)
			}
			out[k] = v
		}
	}
	return out
}

// Types lists every registered event type.
func Types() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	return out
}

func newPayload(typ string) (proto.Message, error) {
	m, ok := registry[typ]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, typ)
	}
	return m.ProtoReflect().Type().New().Interface(), nil
}

func checkPayload(typ string, payload proto.Message) error {
	m, ok := registry[typ]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownType, typ)
	}
	if payload == nil || reflect.TypeOf(payload) != reflect.TypeOf(m) {
		return fmt.Errorf("event %s: payload must be %T, got %T", typ, m, payload)
	}
	return nil
}
