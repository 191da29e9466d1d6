/*
	A key authentication plugin in Go, behaving like Kong's key-auth: it reads an API key from a
	header (or the query string), finds the credential and its consumer in the gateway's
	configuration, and authenticates the request as that consumer; otherwise it answers 401.
*/

package main

import (
	"github.com/gantry-gateway/gantry/plugin-server-go"
	"github.com/gantry-gateway/gantry/plugin-server-go/server"
)

func main() {
	server.StartServer(New, Version, Priority)
}

var Version = "0.1"
var Priority = 1250

type Config struct {
	KeyNames        []string `json:"key_names"`
	HideCredentials bool     `json:"hide_credentials"`
}

func New() interface{} {
	return &Config{}
}

var jsonHeaders = map[string][]string{
	"Content-Type":     {"application/json; charset=utf-8"},
	"WWW-Authenticate": {"Key"},
}

func (conf *Config) Access(kong *pdk.PDK) {
	names := conf.KeyNames
	if len(names) == 0 {
		names = []string{"apikey"}
	}
	var key, name string
	var inQuery bool
	for _, n := range names {
		if v, _ := kong.Request.GetHeader(n); v != "" {
			key, name = v, n
			break
		}
		if v, _ := kong.Request.GetQueryArg(n); v != "" {
			key, name, inQuery = v, n, true
			break
		}
	}
	if key == "" {
		kong.Response.Exit(401, []byte(`{"message":"No API key found in request"}`), jsonHeaders)
		return
	}

	// Gantry extension: one round trip to the gateway's credential index.
	match, err := kong.Client.FindCredential("keyauth_credentials", "key", key)
	if err != nil {
		kong.Log.Err("credential lookup failed: ", err.Error())
		kong.Response.Exit(500, []byte(`{"message":"An unexpected error occurred"}`), jsonHeaders)
		return
	}
	if match == nil {
		kong.Response.Exit(401, []byte(`{"message":"Invalid authentication credentials"}`), jsonHeaders)
		return
	}

	if conf.HideCredentials {
		if inQuery {
			q, _ := kong.Request.GetQuery(-1)
			delete(q, name)
			kong.ServiceRequest.SetQuery(q)
		} else {
			kong.ServiceRequest.ClearHeader(name)
		}
	}
	kong.Client.Authenticate(&match.Consumer, &match.Credential)
	setOrClear(kong, "X-Consumer-ID", match.Consumer.Id)
	setOrClear(kong, "X-Consumer-Custom-ID", match.Consumer.CustomId)
	setOrClear(kong, "X-Consumer-Username", match.Consumer.Username)
	setOrClear(kong, "X-Credential-Identifier", match.Credential.Id)
	kong.ServiceRequest.ClearHeader("X-Anonymous-Consumer")
}

func setOrClear(kong *pdk.PDK, name, value string) {
	if value != "" {
		kong.ServiceRequest.SetHeader(name, value)
	} else {
		kong.ServiceRequest.ClearHeader(name)
	}
}
