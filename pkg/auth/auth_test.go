package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/fault"
)

const (
	issuer   = "parkdesk-dev"
	audience = "parkdesk-api"
	secret   = "0123456789abcdef0123456789abcdef"
)

var (
	staff = auth.Principal{Subject: "u-1", Role: auth.RoleStaff, Park: "sip", Departments: []string{"market-regulation"}}
	firm  = auth.Principal{Subject: "u-2", Role: auth.RoleEnterprise, Park: "sip", EnterpriseID: "e-1"}
)

func newEd25519(t *testing.T) (ed25519.PrivateKey, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return priv, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func mustVerifier(t *testing.T, cfg auth.Config) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustSign(t *testing.T, s *auth.Signer, err error, p auth.Principal, ttl time.Duration) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(p, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRoundTrip(t *testing.T) {
	priv, pubPEM := newEd25519(t)
	_, otherPEM := newEd25519(t)
	hs, hsErr := auth.NewHMACSigner(secret, issuer, audience)
	ed, edErr := auth.NewEd25519Signer(priv, issuer, audience)

	tests := []struct {
		name  string
		token string
		cfg   auth.Config
	}{
		{"HS256", mustSign(t, hs, hsErr, staff, time.Hour), auth.Config{Issuer: issuer, Audience: audience, HMACSecret: secret}},
		{"EdDSA", mustSign(t, ed, edErr, firm, time.Hour), auth.Config{Issuer: issuer, Audience: audience, Ed25519PublicKeysPEM: []string{pubPEM}}},
		{"EdDSA rotated key", mustSign(t, ed, edErr, firm, time.Hour), auth.Config{Issuer: issuer, Audience: audience, Ed25519PublicKeysPEM: []string{otherPEM, pubPEM}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mustVerifier(t, tt.cfg).Verify(tt.token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := staff
			if tt.name != "HS256" {
				want = firm
			}
			if got.Subject != want.Subject || got.Role != want.Role || got.Park != want.Park ||
				got.EnterpriseID != want.EnterpriseID || strings.Join(got.Departments, ",") != strings.Join(want.Departments, ",") {
				t.Fatalf("Verify = %+v, want %+v", got, want)
			}
		})
	}
}

// forge signs arbitrary claims, bypassing Signer's checks.
func forge(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyRejects(t *testing.T) {
	priv, pubPEM := newEd25519(t)
	otherPriv, _ := newEd25519(t)
	hmacCfg := auth.Config{Issuer: issuer, Audience: audience, HMACSecret: secret}
	edCfg := auth.Config{Issuer: issuer, Audience: audience, Ed25519PublicKeysPEM: []string{pubPEM}}
	hs, _ := auth.NewHMACSigner(secret, issuer, audience)
	ed, _ := auth.NewEd25519Signer(priv, issuer, audience)
	now := time.Now()
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": issuer, "aud": audience, "sub": "u-1", "role": "manager", "park": "sip",
			"exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := valid()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	otherHS, _ := auth.NewHMACSigner(strings.Repeat("x", 32), issuer, audience)
	wrongIss, _ := auth.NewHMACSigner(secret, "someone-else", audience)
	wrongAud, _ := auth.NewHMACSigner(secret, issuer, "another-api")

	tests := []struct {
		name    string
		cfg     auth.Config
		token   string
		wantMsg string
	}{
		{name: "expired", cfg: withClock(hmacCfg, clock.NewManual(now.Add(2*time.Hour))), token: mustSign(t, hs, nil, staff, time.Hour), wantMsg: "token expired"},
		{name: "not yet valid", cfg: withClock(hmacCfg, clock.NewManual(now.Add(-time.Hour))), token: mustSign(t, hs, nil, staff, time.Hour), wantMsg: "token not valid yet"},
		{name: "wrong issuer", cfg: hmacCfg, token: mustSign(t, wrongIss, nil, staff, time.Hour)},
		{name: "wrong audience", cfg: hmacCfg, token: mustSign(t, wrongAud, nil, staff, time.Hour)},
		{name: "wrong HMAC key", cfg: hmacCfg, token: mustSign(t, otherHS, nil, staff, time.Hour)},
		{name: "wrong Ed25519 key", cfg: edCfg, token: forge(t, jwt.SigningMethodEdDSA, otherPriv, valid())},
		{name: "alg none", cfg: hmacCfg, token: forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid())},
		{name: "HS256 signed with the Ed25519 public key PEM", cfg: edCfg, token: forge(t, jwt.SigningMethodHS256, []byte(pubPEM), valid())},
		{name: "EdDSA token to HMAC verifier", cfg: hmacCfg, token: mustSign(t, ed, nil, staff, time.Hour)},
		{name: "HS512 not allowed", cfg: hmacCfg, token: forge(t, jwt.SigningMethodHS512, []byte(secret), valid())},
		{name: "missing exp", cfg: hmacCfg, token: forge(t, jwt.SigningMethodHS256, []byte(secret), with("exp", nil))},
		{name: "unknown role", cfg: hmacCfg, token: forge(t, jwt.SigningMethodHS256, []byte(secret), with("role", "root")), wantMsg: "token scope invalid"},
		{name: "manager without park", cfg: hmacCfg, token: forge(t, jwt.SigningMethodHS256, []byte(secret), with("park", nil)), wantMsg: "token scope invalid"},
		{name: "missing sub", cfg: hmacCfg, token: forge(t, jwt.SigningMethodHS256, []byte(secret), with("sub", nil)), wantMsg: "token scope invalid"},
		{name: "tampered payload", cfg: hmacCfg, token: tamper(t, mustSign(t, hs, nil, staff, time.Hour))},
		{name: "garbage", cfg: hmacCfg, token: "not.a.jwt"},
		{name: "empty", cfg: hmacCfg, token: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := mustVerifier(t, tt.cfg).Verify(tt.token)
			if !errors.Is(err, fault.ErrUnauthenticated) {
				t.Fatalf("Verify = %+v, %v; want ErrUnauthenticated", p, err)
			}
			// Only that kind: httpx.StatusOf takes the first kind found in
			// the chain, and a token's bad scope is a 401, never a 400.
			if k := fault.KindOf(err); k != fault.ErrUnauthenticated {
				t.Fatalf("Verify error %v is also of kind %v; want only ErrUnauthenticated", err, k)
			}
			var fe *fault.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *fault.Error", err)
			}
			want := tt.wantMsg
			if want == "" {
				want = "invalid token"
			}
			if fe.Msg != want {
				t.Fatalf("message = %q, want %q (cause %v)", fe.Msg, want, err)
			}
		})
	}
}

func withClock(cfg auth.Config, c clock.Clock) auth.Config {
	cfg.Clock = c
	return cfg
}

// tamper swaps the payload for one claiming the admin role, keeping the
// original signature.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	claims := jwt.MapClaims{"iss": issuer, "aud": audience, "sub": "u-1", "role": "admin", "exp": time.Now().Add(time.Hour).Unix()}
	forged := forge(t, jwt.SigningMethodHS256, []byte("attacker-key-attacker-key-attack"), claims)
	return parts[0] + "." + strings.Split(forged, ".")[1] + "." + parts[2]
}

func TestVerifyLeeway(t *testing.T) {
	hs, err := auth.NewHMACSigner(secret, issuer, audience)
	tok := mustSign(t, hs, err, staff, time.Minute)
	late := clock.NewManual(time.Now().Add(time.Minute + 30*time.Second))
	cfg := auth.Config{Issuer: issuer, Audience: audience, HMACSecret: secret, Clock: late}
	if _, err := mustVerifier(t, cfg).Verify(tok); err == nil {
		t.Fatal("token 30s past exp accepted without leeway")
	}
	cfg.Leeway = time.Minute
	if _, err := mustVerifier(t, cfg).Verify(tok); err != nil {
		t.Fatalf("token 30s past exp rejected with 1m leeway: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	_, pubPEM := newEd25519(t)
	tests := []struct {
		name    string
		cfg     auth.Config
		wantErr string
	}{
		{name: "hmac", cfg: auth.Config{Issuer: "i", Audience: "a", HMACSecret: secret}},
		{name: "ed25519", cfg: auth.Config{Issuer: "i", Audience: "a", Ed25519PublicKeysPEM: []string{pubPEM}}},
		{name: "no issuer", cfg: auth.Config{Audience: "a", HMACSecret: secret}, wantErr: "issuer"},
		{name: "no audience", cfg: auth.Config{Issuer: "i", HMACSecret: secret}, wantErr: "audience"},
		{name: "no key", cfg: auth.Config{Issuer: "i", Audience: "a"}, wantErr: "exactly one"},
		{name: "both keys", cfg: auth.Config{Issuer: "i", Audience: "a", HMACSecret: secret, Ed25519PublicKeysPEM: []string{pubPEM}}, wantErr: "exactly one"},
		{name: "short secret", cfg: auth.Config{Issuer: "i", Audience: "a", HMACSecret: "short"}, wantErr: "at least 32"},
		{name: "bad pem", cfg: auth.Config{Issuer: "i", Audience: "a", Ed25519PublicKeysPEM: []string{"nope"}}, wantErr: "public key 0"},
		{name: "negative leeway", cfg: auth.Config{Issuer: "i", Audience: "a", HMACSecret: secret, Leeway: -time.Second}, wantErr: "leeway"},
		{name: "huge leeway", cfg: auth.Config{Issuer: "i", Audience: "a", HMACSecret: secret, Leeway: time.Hour}, wantErr: "leeway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want an error mentioning %q", err, tt.wantErr)
			}
			if _, nerr := auth.NewVerifier(tt.cfg); nerr == nil {
				t.Fatal("NewVerifier accepted an invalid config")
			}
		})
	}
}

func TestNewSignerRejects(t *testing.T) {
	if _, err := auth.NewHMACSigner("short", issuer, audience); err == nil {
		t.Error("short HMAC secret accepted")
	}
	if _, err := auth.NewEd25519Signer(nil, issuer, audience); err == nil {
		t.Error("nil Ed25519 key accepted")
	}
	if _, err := auth.NewHMACSigner(secret, "", audience); err == nil {
		t.Error("empty issuer accepted")
	}
	s, _ := auth.NewHMACSigner(secret, issuer, audience)
	if _, err := s.Sign(auth.Principal{Subject: "u", Role: auth.RoleManager}, time.Hour); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("Sign of a manager without park = %v, want ErrInvalid", err)
	}
	if _, err := s.Sign(staff, 0); err == nil {
		t.Error("zero ttl accepted")
	}
}

func TestAuthenticated(t *testing.T) {
	if _, err := auth.Authenticated(context.Background()); !errors.Is(err, fault.ErrUnauthenticated) {
		t.Fatalf("Authenticated(empty) = %v, want ErrUnauthenticated", err)
	}
	got, err := auth.Authenticated(auth.WithPrincipal(context.Background(), firm))
	if err != nil || got.EnterpriseID != "e-1" {
		t.Fatalf("Authenticated = %+v, %v", got, err)
	}
}
