// Package auth verifies the bearer JWTs of parkdesk callers and carries the
// resulting Principal, a plain Go value with the caller's role and scope,
// through the request context. Services check every read and write against
// the Principal themselves; the gateway is not the only guard.
//
// Tokens are JWTs on golang-jwt/jwt/v5 signed with HS256 (one shared secret)
// or EdDSA (Ed25519 keys, several accepted for rotation); the claims are sub,
// role, park, enterprise_id, officer_id and departments plus iss, aud, exp,
// nbf, iat and jti.
package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// Role is what kind of caller a principal is.
type Role string

// The roles of parkdesk.
const (
	// RoleEnterprise is a firm acting for itself; scoped to its enterprise.
	RoleEnterprise Role = "enterprise"
	// RoleLiaison is a resident liaison officer; scoped to its officer id
	// and so to the firms assigned to it.
	RoleLiaison Role = "liaison"
	// RoleManager is a park manager; scoped to one park.
	RoleManager Role = "manager"
	// RoleStaff is window staff or a department reviewer; scoped to one park
	// and its departments.
	RoleStaff Role = "staff"
	// RoleAdmin is a platform administrator; unscoped.
	RoleAdmin Role = "admin"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	switch r {
	case RoleEnterprise, RoleLiaison, RoleManager, RoleStaff, RoleAdmin:
		return true
	}
	return false
}

// Principal is the authenticated caller.
type Principal struct {
	// Subject is the token subject: the user id.
	Subject string
	// Role is the caller's role.
	Role Role
	// Park is the park the caller is scoped to; empty for admin.
	Park string
	// EnterpriseID is the caller's firm; enterprise only.
	EnterpriseID string
	// OfficerID is the caller's liaison officer id; liaison only.
	OfficerID string
	// Departments are the reviewing departments of a staff member.
	Departments []string
}

// Validate checks that the scope matches the role: enterprise needs
// EnterpriseID and Park, liaison needs OfficerID and Park, manager needs
// Park, staff needs Park and at least one department, admin needs none; and
// no role carries scope fields that belong to another. It returns a
// fault.ErrInvalid error listing every offending field.
func (p Principal) Validate() error {
	var v fault.Violations
	if strings.TrimSpace(p.Subject) == "" {
		v.Add("sub", "required")
	}
	if !p.Role.Valid() {
		v.Addf("role", "must be one of enterprise, liaison, manager, staff, admin (got %q)", p.Role)
		return v.Err(fault.ErrInvalid)
	}
	need := map[string]bool{}
	switch p.Role {
	case RoleEnterprise:
		need["park"], need["enterprise_id"] = true, true
	case RoleLiaison:
		need["park"], need["officer_id"] = true, true
	case RoleManager:
		need["park"] = true
	case RoleStaff:
		need["park"], need["departments"] = true, true
	}
	fields := []struct {
		name string
		set  bool
	}{
		{"park", p.Park != ""},
		{"enterprise_id", p.EnterpriseID != ""},
		{"officer_id", p.OfficerID != ""},
		{"departments", len(p.Departments) > 0},
	}
	for _, f := range fields {
		switch {
		case need[f.name] && !f.set:
			v.Addf(f.name, "required for role %s", p.Role)
		case !need[f.name] && f.set:
			v.Addf(f.name, "not allowed for role %s", p.Role)
		}
	}
	for i, d := range p.Departments {
		if strings.TrimSpace(d) == "" || slices.Index(p.Departments, d) != i {
			v.Addf(fmt.Sprintf("departments[%d]", i), "must be a non-empty, unique department")
		}
	}
	return v.Err(fault.ErrInvalid)
}

// Require returns nil when p has one of roles, else a fault.ErrForbidden
// error naming p's role and the roles allowed.
func (p Principal) Require(roles ...Role) error {
	if slices.Contains(roles, p.Role) {
		return nil
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return fault.Forbidden(fmt.Sprintf("role %q may not do this; requires %s", p.Role, strings.Join(names, " or ")))
}

// CanSeePark reports whether p may see data of park: admin sees every park,
// everyone else only their own.
func (p Principal) CanSeePark(park string) bool {
	if p.Role == RoleAdmin {
		return true
	}
	return park != "" && p.Park == park
}

// InDepartment reports whether p is staff of department dept.
func (p Principal) InDepartment(dept string) bool {
	return p.Role == RoleStaff && dept != "" && slices.Contains(p.Departments, dept)
}

type principalKey struct{}

// WithPrincipal returns a copy of ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx and whether there is one.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Authenticated returns the principal in ctx, or a fault.ErrUnauthenticated
// error when the request was not authenticated.
func Authenticated(ctx context.Context) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return Principal{}, fault.Unauthenticated("authentication required")
	}
	return p, nil
}
