/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp-epoll-server: the Linux side of bench/tcp. A single-threaded epoll
 * echo server (what an event-loop server such as Redis's ae.c does):
 * non-blocking sockets, level-triggered epoll, TCP_NODELAY, every byte read
 * is written back, the connection is closed at the peer's EOF.
 *
 *   tcp-epoll-server PORT        (runs until killed)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256

int
main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct epoll_event ev, evs[MAX_EVENTS];
	char buf[65536];
	int ls, ep, one = 1, n, i;

	if (argc != 2) {
		fprintf(stderr, "usage: tcp-epoll-server PORT\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 4096) != 0) {
		perror("tcp-epoll-server: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = ls;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	printf("listening on 127.0.0.1:%s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == ls) {
				int c;

				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			for (;;) {
				ssize_t r = read(fd, buf, sizeof(buf)), w = 0;

				if (r > 0) {
					/* small echoes: the socket buffer always has room */
					while (w < r) {
						ssize_t k = write(fd, buf + w, (size_t)(r - w));

						if (k <= 0)
							break;
						w += k;
					}
					if (r < (ssize_t)sizeof(buf))
						break;
					continue;
				}
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					break;
				close(fd); /* EOF or error; close removes it from epoll */
				break;
			}
		}
	}
}
