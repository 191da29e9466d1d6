package main

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/entities"
	"github.com/gantry-gateway/gantry/plugin-server-go/test"
)

func newEnv(t *testing.T, headers map[string][]string, url string) *test.TestEnv {
	env, err := test.New(t, test.Request{Method: "GET", Url: url, Headers: headers})
	if err != nil {
		t.Fatal(err)
	}
	env.Credentials = []test.Credential{{Kind: "keyauth_credentials", Field: "key", Value: "secret",
		Id: "cred-1", Consumer: entities.Consumer{Id: "c-1", Username: "alice"}}}
	return env
}

func TestKeyAuth_valid(t *testing.T) {
	env := newEnv(t, map[string][]string{"apikey": {"secret"}}, "http://example.com/")
	env.DoHttp(&Config{HideCredentials: true})
	if env.ClientRes.Status != 200 || env.Consumer == nil || env.Consumer.Username != "alice" {
		t.Fatalf("status %d consumer %+v", env.ClientRes.Status, env.Consumer)
	}
	if env.ServiceReq.Headers.Get("X-Consumer-Username") != "alice" || env.ServiceReq.Headers.Get("apikey") != "" ||
		env.ServiceReq.Headers.Get("X-Credential-Identifier") != "cred-1" {
		t.Errorf("upstream headers %v", env.ServiceReq.Headers)
	}
}

func TestKeyAuth_queryAndCustomName(t *testing.T) {
	env := newEnv(t, nil, "http://example.com/?token=secret&a=1")
	env.DoAccess(&Config{KeyNames: []string{"x-key", "token"}, HideCredentials: true})
	if env.Consumer == nil || env.ServiceReq.Url != "http://example.com/?a=1" {
		t.Errorf("consumer %+v url %s", env.Consumer, env.ServiceReq.Url)
	}
}

func TestKeyAuth_missing(t *testing.T) {
	env := newEnv(t, nil, "http://example.com/")
	env.DoHttp(&Config{})
	if env.ClientRes.Status != 401 || string(env.ClientRes.Body) != `{"message":"No API key found in request"}` ||
		env.ClientRes.Headers.Get("WWW-Authenticate") != "Key" {
		t.Errorf("%+v", env.ClientRes)
	}
}

func TestKeyAuth_invalid(t *testing.T) {
	env := newEnv(t, map[string][]string{"apikey": {"wrong"}}, "http://example.com/")
	env.DoHttp(&Config{})
	if env.ClientRes.Status != 401 || string(env.ClientRes.Body) != `{"message":"Invalid authentication credentials"}` || env.Consumer != nil {
		t.Errorf("%+v", env.ClientRes)
	}
}
