package console

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/event"
)

// DevTokenTTL is how long a dev sign-in lasts.
const DevTokenTTL = 12 * time.Hour

// DevSubject is the token subject of the dev stack's demo manager.
const DevSubject = "demo-manager"

// DevPark is the park offered by default (望城经济技术开发区, as in seeds/).
const DevPark = "wangcheng"

// DevSignInPath is where DevSignIn is mounted.
const DevSignInPath = "/console/dev/signin"

// DevSignIn serves the dev stack's sign-in page at DevSignInPath: GET shows
// a form, POST signs a manager token of the chosen park with signer (the dev
// stack's AUTH_HMAC_SECRET) for DevTokenTTL and signs the browser in with it
// as POST /console/session would. It is a token issuer for anyone who can
// reach the gateway: mount it only in the dev stack (PARKDESK_DEV=1), never
// in production.
func DevSignIn(signer *auth.Signer) (http.Handler, error) {
	if signer == nil {
		return nil, errors.New("console: dev sign-in needs a signer")
	}
	tpl, err := template.ParseFS(templates, "templates/dev-signin.html")
	if err != nil {
		return nil, err
	}
	render := func(w http.ResponseWriter, status int, park, problem string) {
		var buf bytes.Buffer
		if err := tpl.Execute(&buf, struct{ Park, Problem string }{park, problem}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(buf.Bytes())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DevSignInPath, func(w http.ResponseWriter, r *http.Request) {
		render(w, http.StatusOK, DevPark, "")
	})
	mux.HandleFunc("POST "+DevSignInPath, func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			render(w, http.StatusForbidden, DevPark, "请从本页登录 / sign in from this page")
			return
		}
		park := strings.TrimSpace(r.PostFormValue("park"))
		if park == "" {
			park = DevPark
		}
		if !event.ValidPark(park) {
			render(w, http.StatusBadRequest, park, "园区编号无效 / not a park id")
			return
		}
		tok, err := signer.Sign(auth.Principal{Subject: DevSubject, Role: auth.RoleManager, Park: park}, DevTokenTTL)
		if err != nil {
			render(w, http.StatusInternalServerError, park, err.Error())
			return
		}
		if err := setSession(w, r, tok, time.Now().Add(DevTokenTTL)); err != nil {
			render(w, http.StatusBadRequest, park, err.Error())
			return
		}
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header())
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	}), nil
}
