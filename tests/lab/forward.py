#!/usr/bin/python3
"""A TCP forwarder for the test lab: listens on ADDRESS (a free port), prints the port, and
relays every connection to 127.0.0.1:PORT, so a lab registry can be reached by a name that is
not loopback (burrow always allows plain http to loopback). Standard library only.

usage: forward.py ADDRESS UPSTREAM_PORT
"""
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def main(address, upstream_port):
    async def handle(client_reader, client_writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        await asyncio.gather(pipe(client_reader, up_writer), pipe(up_reader, client_writer),
                             return_exceptions=True)

    server = await asyncio.start_server(handle, address, 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
