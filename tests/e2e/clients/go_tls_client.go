// SPDX-License-Identifier: MIT
// A Go crypto/tls client for the coverage listing test: connects to 127.0.0.1:PORT, waits,
// writes one line and closes. Built at test time, with symbols and stripped (-s -w).
package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"time"
)

func main() {
	c, err := tls.Dial("tcp", "127.0.0.1:"+os.Args[1], &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	time.Sleep(3 * time.Second)
	c.Write([]byte("hi\n"))
	c.Close()
}
