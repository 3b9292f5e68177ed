package auth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
)

func TestPrincipalValidate(t *testing.T) {
	tests := []struct {
		name       string
		p          auth.Principal
		wantFields []string
	}{
		{name: "enterprise", p: auth.Principal{Subject: "u", Role: auth.RoleEnterprise, Park: "sip", EnterpriseID: "e"}},
		{name: "liaison", p: auth.Principal{Subject: "u", Role: auth.RoleLiaison, Park: "sip", OfficerID: "o"}},
		{name: "manager", p: auth.Principal{Subject: "u", Role: auth.RoleManager, Park: "sip"}},
		{name: "staff", p: auth.Principal{Subject: "u", Role: auth.RoleStaff, Park: "sip", Departments: []string{"tax", "window"}}},
		{name: "admin", p: auth.Principal{Subject: "u", Role: auth.RoleAdmin}},
		{name: "enterprise without ids", p: auth.Principal{Subject: "u", Role: auth.RoleEnterprise}, wantFields: []string{"park", "enterprise_id"}},
		{name: "liaison without officer", p: auth.Principal{Subject: "u", Role: auth.RoleLiaison, Park: "sip"}, wantFields: []string{"officer_id"}},
		{name: "manager without park", p: auth.Principal{Subject: "u", Role: auth.RoleManager}, wantFields: []string{"park"}},
		{name: "staff without departments", p: auth.Principal{Subject: "u", Role: auth.RoleStaff, Park: "sip"}, wantFields: []string{"departments"}},
		{name: "staff duplicate department", p: auth.Principal{Subject: "u", Role: auth.RoleStaff, Park: "sip", Departments: []string{"tax", "tax", " "}}, wantFields: []string{"departments[1]", "departments[2]"}},
		{name: "enterprise with officer id", p: auth.Principal{Subject: "u", Role: auth.RoleEnterprise, Park: "sip", EnterpriseID: "e", OfficerID: "o"}, wantFields: []string{"officer_id"}},
		{name: "manager with departments", p: auth.Principal{Subject: "u", Role: auth.RoleManager, Park: "sip", Departments: []string{"tax"}}, wantFields: []string{"departments"}},
		{name: "admin with park", p: auth.Principal{Subject: "u", Role: auth.RoleAdmin, Park: "sip"}, wantFields: []string{"park"}},
		{name: "unknown role", p: auth.Principal{Subject: "u", Role: "root"}, wantFields: []string{"role"}},
		{name: "no subject", p: auth.Principal{Role: auth.RoleAdmin}, wantFields: []string{"sub"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if len(tt.wantFields) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ve *fault.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("Validate = %v, want an ErrInvalid ValidationError", err)
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantFields, ",") {
				t.Fatalf("fields = %v, want %v", got, tt.wantFields)
			}
		})
	}
}

func TestRequire(t *testing.T) {
	tests := []struct {
		name  string
		p     auth.Principal
		roles []auth.Role
		allow bool
	}{
		{"allowed", staff, []auth.Role{auth.RoleStaff, auth.RoleAdmin}, true},
		{"denied", firm, []auth.Role{auth.RoleStaff, auth.RoleAdmin}, false},
		{"no roles", staff, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Require(tt.roles...)
			if tt.allow {
				if err != nil {
					t.Fatalf("Require = %v", err)
				}
				return
			}
			if !errors.Is(err, fault.ErrForbidden) || !strings.Contains(err.Error(), string(tt.p.Role)) {
				t.Fatalf("Require = %v, want ErrForbidden naming role %q", err, tt.p.Role)
			}
		})
	}
}

func TestScopeHelpers(t *testing.T) {
	admin := auth.Principal{Subject: "a", Role: auth.RoleAdmin}
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"own park", firm.CanSeePark("sip"), true},
		{"other park", firm.CanSeePark("wuxi"), false},
		{"empty park", firm.CanSeePark(""), false},
		{"admin any park", admin.CanSeePark("wuxi"), true},
		{"staff own department", staff.InDepartment("market-regulation"), true},
		{"staff other department", staff.InDepartment("tax"), false},
		{"non-staff department", firm.InDepartment("market-regulation"), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
