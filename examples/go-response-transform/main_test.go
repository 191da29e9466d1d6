package main

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/test"
)

func TestResponseTransform(t *testing.T) {
	env, err := test.New(t, test.Request{Method: "POST", Url: "http://example.com/", Body: []byte("hello world, hello")})
	if err != nil {
		t.Fatal(err)
	}
	env.DoHttp(&Config{HeaderName: "x-transformed", HeaderValue: "yes", ReplaceFrom: "hello", ReplaceTo: "bye"})
	if string(env.ClientRes.Body) != "bye world, bye" || env.ClientRes.Headers.Get("x-transformed") != "yes" {
		t.Errorf("%q %v", env.ClientRes.Body, env.ClientRes.Headers)
	}
}
