package test_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	"github.com/gantry-gateway/gantry/plugin-server-go/entities"
	"github.com/gantry-gateway/gantry/plugin-server-go/test"
)

type conf struct{ Greeting string }

func (c *conf) Rewrite(kong *pdk.PDK) { kong.ServiceRequest.SetHeader("x-rewrite", "1") }
func (c *conf) Access(kong *pdk.PDK) {
	v, _ := kong.Request.GetHeader("x-rewrite")
	kong.Response.SetHeader("x-saw-rewrite", v)
	kong.Ctx.SetShared("count", 1)
	kong.Log.Info("access ", c.Greeting)
}
func (c *conf) Response(kong *pdk.PDK) {
	b, _ := kong.ServiceResponse.GetRawBody()
	kong.Response.SetRawBody(append(b, '!'))
}
func (c *conf) Log(kong *pdk.PDK) {
	n, _ := kong.Ctx.GetSharedFloat("count")
	if n != 1 {
		panic("shared not carried across phases")
	}
}

func TestDoHttp(t *testing.T) {
	env, err := test.New(t, test.Request{Method: "POST", Url: "http://example.com/p?q=1", Body: []byte("hi")})
	if err != nil {
		t.Fatal(err)
	}
	env.DoHttp(&conf{Greeting: "hello"})
	if env.ClientRes.Status != 200 || env.ClientRes.Headers.Get("x-saw-rewrite") != "1" || string(env.ClientRes.Body) != "hi!" {
		t.Errorf("%+v", env.ClientRes)
	}
	if env.ServiceReq.Headers.Get("x-rewrite") != "1" || len(env.Logs) != 1 || env.Logs[0] != "info: access hello" {
		t.Errorf("%+v %v", env.ServiceReq, env.Logs)
	}
}

type exiter struct{}

func (exiter) Access(kong *pdk.PDK) {
	kong.Response.Exit(401, []byte("no"), map[string][]string{"WWW-Authenticate": {"Key"}})
}
func (exiter) Response(kong *pdk.PDK) { panic("must not run after exit") }

func TestExit(t *testing.T) {
	env, _ := test.New(t, test.Request{Method: "GET", Url: "http://example.com/"})
	env.DoHttp(exiter{})
	if env.ClientRes.Status != 401 || string(env.ClientRes.Body) != "no" || env.ClientRes.Headers.Get("www-authenticate") != "Key" || env.IsRunning() {
		t.Errorf("%+v", env.ClientRes)
	}
}

type auth struct{}

func (auth) Access(kong *pdk.PDK) {
	key, _ := kong.Request.GetHeader("apikey")
	m, err := kong.Client.FindCredential("keyauth_credentials", "key", key)
	if err != nil || m == nil {
		kong.Response.ExitStatus(401)
		return
	}
	kong.Client.Authenticate(&m.Consumer, &m.Credential)
}

func TestFindCredential(t *testing.T) {
	env, _ := test.New(t, test.Request{Method: "GET", Url: "http://example.com/", Headers: map[string][]string{"apikey": {"k"}}})
	env.Credentials = []test.Credential{{Kind: "keyauth_credentials", Field: "key", Value: "k", Id: "cr", Consumer: entities.Consumer{Id: "c", Username: "u"}}}
	env.DoAccess(auth{})
	if env.Consumer == nil || env.Consumer.Username != "u" || env.Credential == nil || env.Credential.Id != "cr" {
		t.Errorf("%+v", env.Consumer)
	}
}

func TestValidate(t *testing.T) {
	if _, err := test.New(t, test.Request{Method: "GET", Url: "http://x/", Body: []byte("b")}); err == nil {
		t.Error("GET with body")
	}
	if _, err := test.New(t, test.Request{Method: "DELETE", Url: "http://x/"}); err == nil {
		t.Error("DELETE")
	}
}
