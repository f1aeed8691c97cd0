// SPDX-License-Identifier: MIT
// node's https server and client in one process pair, over loopback, for test_node.sh.
//   node node_https.js server PORT CERT KEY      serves "pong N" for GET /ping/N; exits on /quit
//   node node_https.js client PORT N CONC        N requests, CONC at once, each on a new
//                                                 connection; prints "LOCALPORT N" for each
'use strict';
const https = require('https');
const fs = require('fs');
const [mode, port] = process.argv.slice(2, 4);

if (mode === 'server') {
	const [cert, key] = process.argv.slice(4, 6);
	const srv = https.createServer({cert: fs.readFileSync(cert), key: fs.readFileSync(key)},
		(req, res) => {
			if (req.url === '/quit') {
				res.end('bye\n');
				srv.close();
				return;
			}
			const n = req.url.split('/')[2];
			res.setHeader('content-type', 'text/plain');
			res.end(`pong ${n}\n`);
		});
	srv.keepAliveTimeout = 100;
	srv.listen(+port, '127.0.0.1', () => console.log('listening'));
} else {
	const total = +process.argv[4], conc = +process.argv[5];
	let next = 0, done = 0;
	const one = () => {
		if (next >= total)
			return;
		const n = next++;
		const req = https.get({host: '127.0.0.1', port: +port, path: `/ping/${n}`, agent: false,
			rejectUnauthorized: false}, (res) => {
			const lport = res.socket.localPort;
			let body = '';
			res.on('data', (d) => body += d);
			res.on('end', () => {
				if (body !== `pong ${n}\n`)
					throw new Error(`request ${n}: got ${body}`);
				console.log(`${lport} ${n}`);
				if (++done === total)
					return;
				one();
			});
		});
		req.on('error', (e) => { throw e; });
	};
	for (let i = 0; i < conc; i++)
		one();
}
