/* udpways.c - UDP datagrams sent and received every way Linux has, for
 * advise/network-policy's test (test_advise_netpol.py).  Built static by
 * meson, to run in a container.  Prints nothing but errors; exits 0 when
 * every exchange got its answer.
 *
 *   udpways dns IP            a DNS query for a.test, as Go's resolver asks:
 *                             connect(), write(), read(); the answer must
 *                             hold 10.1.2.3
 *   udpways client IP PORT    one exchange per way, each from a socket of
 *                             its own, to IP:PORT, PORT+1, ... (an echo
 *                             server answers): writev/readv, send/recv,
 *                             sendmmsg/recvmmsg, sendfile/read,
 *                             splice/splice, pwritev2/preadv2
 *   udpways serve PORT        receives one datagram with read() on PORT (a
 *                             socket not connected: the sender unknown)
 *                             and one with recvmmsg() on PORT+1
 *
 * Each exchange sends again every 200 ms until the answer comes (20 s at
 * most): the first datagram may go before the server listens.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define TRIES 100
#define WAIT_MS 200

static struct sockaddr_in address(const char *ip, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "udpways: %s is not an IPv4 address\n", ip);
		exit(2);
	}
	return sa;
}

static int udp_socket(const struct sockaddr_in *peer)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || (peer && connect(fd, (const struct sockaddr *)peer, sizeof(*peer)))) {
		perror("udpways: socket/connect");
		exit(1);
	}
	return fd;
}

static int readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

/* one way of sending a datagram and one of receiving the answer */
struct way {
	const char *name;
	int connected;
	ssize_t (*send)(int fd, const struct sockaddr_in *peer, const char *msg);
	ssize_t (*recv)(int fd, char *buf, size_t len);
};

static ssize_t send_writev(int fd, const struct sockaddr_in *peer, const char *msg)
{
	struct iovec iov[2] = {{(void *)msg, 4}, {(void *)(msg + 4), strlen(msg) - 4}};

	(void)peer;
	return writev(fd, iov, 2);
}

static ssize_t recv_readv(int fd, char *buf, size_t len)
{
	struct iovec iov = {buf, len};

	return readv(fd, &iov, 1);
}

static ssize_t send_send(int fd, const struct sockaddr_in *peer, const char *msg)
{
	(void)peer;
	return send(fd, msg, strlen(msg), 0);
}

static ssize_t recv_recv(int fd, char *buf, size_t len)
{
	return recv(fd, buf, len, 0);
}

static ssize_t send_sendmmsg(int fd, const struct sockaddr_in *peer, const char *msg)
{
	struct iovec iov = {(void *)msg, strlen(msg)};
	struct mmsghdr m = {.msg_hdr = {.msg_name = (void *)peer, .msg_namelen = sizeof(*peer),
					.msg_iov = &iov, .msg_iovlen = 1}};

	return sendmmsg(fd, &m, 1, 0) == 1 ? (ssize_t)m.msg_len : -1;
}

static ssize_t recv_recvmmsg(int fd, char *buf, size_t len)
{
	struct sockaddr_in from;
	struct iovec iov = {buf, len};
	struct mmsghdr m = {.msg_hdr = {.msg_name = &from, .msg_namelen = sizeof(from),
					.msg_iov = &iov, .msg_iovlen = 1}};

	return recvmmsg(fd, &m, 1, 0, NULL) == 1 ? (ssize_t)m.msg_len : -1;
}

/* the message from a file, by sendfile() */
static ssize_t send_sendfile(int fd, const struct sockaddr_in *peer, const char *msg)
{
	char path[] = "/tmp/udpways-XXXXXX";
	int file = mkstemp(path);
	ssize_t n = -1;

	(void)peer;
	if (file < 0)
		return -1;
	unlink(path);
	if (write(file, msg, strlen(msg)) == (ssize_t)strlen(msg))
		n = sendfile(fd, file, &(off_t){0}, strlen(msg));
	close(file);
	return n;
}

static ssize_t recv_read(int fd, char *buf, size_t len)
{
	return read(fd, buf, len);
}

/* through a pipe, by splice(), both ways */
static ssize_t send_splice(int fd, const struct sockaddr_in *peer, const char *msg)
{
	int p[2];
	ssize_t n = -1;

	(void)peer;
	if (pipe(p))
		return -1;
	if (write(p[1], msg, strlen(msg)) == (ssize_t)strlen(msg))
		n = splice(p[0], NULL, fd, NULL, strlen(msg), 0);
	close(p[0]);
	close(p[1]);
	return n;
}

static ssize_t recv_splice(int fd, char *buf, size_t len)
{
	int p[2];
	ssize_t n;

	if (pipe(p))
		return -1;
	n = splice(fd, NULL, p[1], NULL, len, 0);
	if (n < 0 && errno == EINVAL) /* a kernel before 6.5: UDP has no splice_read */
		n = read(fd, buf, len);
	else if (n > 0)
		n = read(p[0], buf, (size_t)n);
	close(p[0]);
	close(p[1]);
	return n;
}

static ssize_t send_pwritev2(int fd, const struct sockaddr_in *peer, const char *msg)
{
	struct iovec iov = {(void *)msg, strlen(msg)};

	(void)peer;
	return pwritev2(fd, &iov, 1, -1, 0);
}

static ssize_t recv_preadv2(int fd, char *buf, size_t len)
{
	struct iovec iov = {buf, len};

	return preadv2(fd, &iov, 1, -1, 0);
}

static const struct way ways[] = {
	{"writev", 1, send_writev, recv_readv},
	{"send", 1, send_send, recv_recv},
	{"sendmmsg", 0, send_sendmmsg, recv_recvmmsg},
	{"sendfile", 1, send_sendfile, recv_read},
	{"splice", 1, send_splice, recv_splice},
	{"pwritev2", 1, send_pwritev2, recv_preadv2},
};

/* send msg until an answer comes; the answer's length, or -1 */
static ssize_t exchange(const struct way *w, const struct sockaddr_in *peer, const char *msg,
			char *answer, size_t len)
{
	int fd = udp_socket(w->connected ? peer : NULL);
	ssize_t n = -1;

	for (int i = 0; i < TRIES && n < 0; i++) {
		if (w->send(fd, peer, msg) != (ssize_t)strlen(msg) && errno != ECONNREFUSED) {
			fprintf(stderr, "udpways: %s: %s\n", w->name, strerror(errno));
			break;
		}
		if (readable(fd, WAIT_MS))
			n = w->recv(fd, answer, len);
	}
	close(fd);
	if (n < 0)
		fprintf(stderr, "udpways: %s to port %d: no answer\n", w->name,
			ntohs(peer->sin_port));
	return n;
}

static int do_client(const char *ip, int port)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		struct sockaddr_in peer = address(ip, port + (int)i);
		char answer[256];

		failed |= exchange(&ways[i], &peer, ways[i].name, answer, sizeof(answer)) < 0;
	}
	return failed;
}

/* a query for a.test A (id 0x4748), as a stub resolver sends it */
static const unsigned char query[] = {
	0x47, 0x48, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	1, 'a', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
};

static ssize_t send_write(int fd, const struct sockaddr_in *peer, const char *msg)
{
	(void)peer;
	(void)msg;
	return write(fd, query, sizeof(query)) == sizeof(query) ? (ssize_t)strlen(msg) : -1;
}

static int do_dns(const char *ip)
{
	static const struct way go = {"write", 1, send_write, recv_read};
	static const unsigned char want[] = {10, 1, 2, 3};
	struct sockaddr_in server = address(ip, 53);
	unsigned char answer[512];
	ssize_t n = exchange(&go, &server, "query", (char *)answer, sizeof(answer));

	/* the same id, an answer (QR), no error, one answer or more, and
	 * the address at its end */
	if (n < (ssize_t)sizeof(query) + 16 || answer[0] != 0x47 || answer[1] != 0x48 ||
	    !(answer[2] & 0x80) || (answer[3] & 0x0f) || !answer[7] ||
	    memcmp(answer + n - 4, want, 4)) {
		fprintf(stderr, "udpways: dns: no A 10.1.2.3 for a.test in the answer "
			"(%zd bytes)\n", n);
		return 1;
	}
	return 0;
}

static int bound(int port)
{
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = udp_socket(NULL);

	if (bind(fd, (struct sockaddr *)&any, sizeof(any))) {
		perror("udpways: bind");
		exit(1);
	}
	return fd;
}

static int do_serve(int port)
{
	int by_read = bound(port), by_mmsg = bound(port + 1);
	char buf[256];

	if (recv_read(by_read, buf, sizeof(buf)) < 0 ||
	    recv_recvmmsg(by_mmsg, buf, sizeof(buf)) < 0) {
		perror("udpways: serve");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "dns"))
		return do_dns(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "client"))
		return do_client(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return do_serve(atoi(argv[2]));
	fprintf(stderr, "usage: udpways dns IP | client IP PORT | serve PORT\n");
	return 2;
}
