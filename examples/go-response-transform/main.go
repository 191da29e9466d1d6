/*
	A response transformer in Go: in the Response phase (the upstream response is buffered) it
	sets a response header and replaces a string in the body.
*/

package main

import (
	"bytes"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	"github.com/gantry-gateway/gantry/plugin-server-go/server"
)

func main() {
	server.StartServer(New, Version, Priority)
}

var Version = "0.1"
var Priority = 800

type Config struct {
	HeaderName  string `json:"header_name"`
	HeaderValue string `json:"header_value"`
	ReplaceFrom string `json:"replace_from"`
	ReplaceTo   string `json:"replace_to"`
}

func New() interface{} {
	return &Config{}
}

func (conf *Config) Response(kong *pdk.PDK) {
	if conf.HeaderName != "" {
		kong.Response.SetHeader(conf.HeaderName, conf.HeaderValue)
	}
	if conf.ReplaceFrom == "" {
		return
	}
	body, err := kong.ServiceResponse.GetRawBody()
	if err != nil {
		kong.Log.Err("reading the upstream body: ", err.Error())
		return
	}
	if !bytes.Contains(body, []byte(conf.ReplaceFrom)) {
		return
	}
	// Gantry extension: replace the body sent to the client.
	kong.Response.SetRawBody(bytes.ReplaceAll(body, []byte(conf.ReplaceFrom), []byte(conf.ReplaceTo)))
}
