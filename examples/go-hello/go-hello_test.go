package main

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/test"
)

func TestPlugin(t *testing.T) {
	env, err := test.New(t, test.Request{
		Method:  "GET",
		Url:     "http://example.com?q=search&x=9",
		Headers: map[string][]string{"host": {"localhost"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	env.DoHttps(&Config{Message: "Hi!"})
	if env.ClientRes.Status != 200 {
		t.Errorf("status %d", env.ClientRes.Status)
	}
	if got := env.ClientRes.Headers.Get("x-hello-from-go"); got != "Go says Hi! to localhost" {
		t.Errorf("header %q", got)
	}
}
