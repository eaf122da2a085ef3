/* proc_stats.c - a process's CPU, memory and eBPF programs (proc_stats.h). */
#include "daemon/proc_stats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* A small /proc file into buf, NUL terminated: its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int gh_proc_stats_read(pid_t pid, struct gh_proc_stats *s)
{
	char path[64], buf[1024];
	unsigned long long utime, stime, size, resident;
	const char *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((n = read_small(path, buf, sizeof(buf))) < 0)
		return (int)n;
	/* after the comm, which may hold spaces and parentheses: the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
			 &stime) != 2)
		return -EINVAL;
	s->cpu_seconds = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	if ((n = read_small(path, buf, sizeof(buf))) < 0)
		return (int)n;
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return -EINVAL;
	s->rss_bytes = resident * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

static int by_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int gh_proc_bpf_prog_ids(pid_t pid, uint32_t **ids, size_t *n)
{
	char path[64], file[320], buf[2048];
	struct dirent *de;
	size_t cap = 0, k = 0;
	uint32_t *v = NULL;
	DIR *d;

	*ids = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		const char *p;
		unsigned long id;

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (read_small(file, buf, sizeof(buf)) < 0 || !(p = strstr(buf, "\nprog_id:")))
			continue;
		id = strtoul(p + 9, NULL, 10);
		if (!id)
			continue;
		if (k == cap) {
			uint32_t *grown = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!grown) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = grown;
		}
		v[k++] = (uint32_t)id;
	}
	closedir(d);
	if (k)
		qsort(v, k, sizeof(*v), by_id);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (!*n || v[*n - 1] != v[i])
			v[(*n)++] = v[i];
	*ids = v;
	return 0;
}

int gh_prog_stats_read(uint32_t id, struct gh_prog_stats *s)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	const char *type;
	int fd = bpf_prog_get_fd_by_id(id), ret;

	if (fd < 0)
		return -errno;
	ret = bpf_obj_get_info_by_fd(fd, &info, &len);
	ret = ret ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	memset(s, 0, sizeof(*s));
	s->id = id;
	snprintf(s->name, sizeof(s->name), "%s", info.name);
	type = libbpf_bpf_prog_type_str(info.type);
	snprintf(s->type, sizeof(s->type), "%s", type ? type : "unknown");
	s->run_cnt = info.run_cnt;
	s->run_time_ns = info.run_time_ns;
	return 0;
}

int gh_bpf_stats_enable(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}
