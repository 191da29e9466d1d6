/*
	Three trivial access plugins served by one process, for the benchmark. go-pdk's model is one
	plugin per server binary; Gantry's server.Register + server.StartServerMulti put several
	plugins on one socket and one event stream, so a request that runs all three costs one round
	trip per phase instead of three.

	Plugins: bench-a, bench-b, bench-c; each sets the upstream header x-bench-<letter>: <value>
	(config `value`, default "1").
*/

package main

import (
	"log"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	"github.com/gantry-gateway/gantry/plugin-server-go/server"
)

type Config struct {
	Value  string `json:"value"`
	header string
}

func (conf *Config) Access(kong *pdk.PDK) {
	v := conf.Value
	if v == "" {
		v = "1"
	}
	kong.ServiceRequest.SetHeader(conf.header, v)
}

func constructor(header string) func() interface{} {
	return func() interface{} { return &Config{header: header} }
}

func main() {
	for i, name := range []string{"bench-a", "bench-b", "bench-c"} {
		if err := server.Register(name, constructor("x-"+name), "0.1", 1000-i); err != nil {
			log.Fatal(err)
		}
	}
	if err := server.StartServerMulti(); err != nil {
		log.Fatal(err)
	}
}
