/*
 * The Vireo CNI plugin's thin client. It starts in a millisecond and hands the call to the vireod serving
 * the config's runDir (default /run/vireo):
 *
 *   POST /v1/cni on RUN_DIR/vireo.sock   {"env": {...its whole environment...}, "config": "...stdin..."}
 *   200 answer body                      "EXIT STDOUT_BYTES\n" STDOUT STDERR
 *
 * and prints what the daemon's run of the plugin printed, exiting with its status. With no daemon on
 * that socket (missing, refused) or one that does not know /v1/cni, it runs the fallback (the same plugin
 * in a JVM of its own, scripts/vireo-cni-jvm) with the same environment and stdin, so DEL still releases
 * addresses.
 *
 * Two ways to build and run it:
 *   scripts/install-cni-plugin DIR   compiles it statically, with VIREO_FALLBACK (the fallback's absolute
 *                                    path) built in, as DIR/vireo: the runtime runs it and nothing else.
 *   scripts/vireo-cni                compiles it into target/ on first use and runs it with the fallback
 *                                    as its one argument: cni-client FALLBACK
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef VIREO_FALLBACK
#define VIREO_FALLBACK NULL
#endif
#define DEFAULT_RUN_DIR "/run/vireo"
#define TIMEOUT_SECONDS 120

extern char **environ;

typedef struct
{
    char *data;
    size_t length;
    size_t capacity;
} buffer;

static void append(buffer *b, const char *data, size_t length)
{
    if (b->length + length + 1 > b->capacity)
    {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (b->length + length + 1 > capacity)
        {
            capacity *= 2;
        }
        b->data = realloc(b->data, capacity);
        if (!b->data)
        {
            perror("vireo-cni: out of memory");
            exit(1);
        }
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, data, length);
    b->length += length;
    b->data[b->length] = '\0';
}

static void append_text(buffer *b, const char *text)
{
    append(b, text, strlen(text));
}

/* Appends text as a JSON string: quotes, backslashes and control characters escaped, other bytes as they are. */
static void append_json_string(buffer *b, const char *text, size_t length)
{
    append_text(b, "\"");
    for (size_t i = 0; i < length; i++)
    {
        const unsigned char c = (unsigned char)text[i];
        char escaped[8];
        if (c == '"' || c == '\\')
        {
            escaped[0] = '\\';
            escaped[1] = (char)c;
            append(b, escaped, 2);
        }
        else if (c < 0x20)
        {
            snprintf(escaped, sizeof escaped, "\\u%04x", c);
            append_text(b, escaped);
        }
        else
        {
            append(b, (const char *)&text[i], 1);
        }
    }
    append_text(b, "\"");
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    {
        p++;
    }
    return p;
}

/* Skips one JSON string starting at its opening quote; returns what follows it, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++)
    {
        if (*p == '\\')
        {
            p++;
        }
        else if (*p == '"')
        {
            return p + 1;
        }
    }
    return NULL;
}

/* Skips one JSON value of any kind; returns the ',' or '}' that ends its object member, or NULL. */
static const char *skip_value(const char *p, const char *end)
{
    int depth = 0;
    while (p < end)
    {
        if (*p == '"')
        {
            p = skip_string(p, end);
            if (!p)
            {
                return NULL;
            }
            continue;
        }
        if (*p == '{' || *p == '[')
        {
            depth++;
        }
        else if (*p == '}' || *p == ']')
        {
            if (depth == 0)
            {
                return p;
            }
            depth--;
        }
        else if (*p == ',' && depth == 0)
        {
            return p;
        }
        p++;
    }
    return NULL;
}

/*
 * The config's top-level "runDir" if it is a plain absolute path string, else the default. The daemon reads
 * and checks the whole config; this only has to find the right daemon.
 */
static void run_dir(const char *config, size_t length, char *out, size_t size)
{
    const char *p = config, *end = config + length;
    snprintf(out, size, "%s", DEFAULT_RUN_DIR);
    p = skip_space(p, end);
    if (p >= end || *p != '{')
    {
        return;
    }
    p++;
    for (;;)
    {
        p = skip_space(p, end);
        if (p >= end || *p != '"')
        {
            return;
        }
        const char *key = p + 1;
        const char *after_key = skip_string(p, end);
        if (!after_key)
        {
            return;
        }
        const size_t key_length = (size_t)(after_key - 1 - key);
        p = skip_space(after_key, end);
        if (p >= end || *p != ':')
        {
            return;
        }
        p = skip_space(p + 1, end);
        if (key_length == 6 && memcmp(key, "runDir", 6) == 0 && p < end && *p == '"')
        {
            const char *value = p + 1;
            const char *after = skip_string(p, end);
            if (after && memchr(value, '\\', (size_t)(after - 1 - value)) == NULL && *value == '/' &&
                (size_t)(after - 1 - value) + 1 < size)
            {
                snprintf(out, size, "%.*s", (int)(after - 1 - value), value);
            }
            return;
        }
        p = skip_value(p, end);
        if (!p || *p != ',')
        {
            return;
        }
        p++;
    }
}

/* Runs the fallback with the same environment, and the config on stdin again (from memory). */
static int fall_back(const char *fallback, const buffer *config)
{
    if (!fallback)
    {
        fprintf(stderr, "vireo-cni: no vireod answers and no fallback was built in (scripts/install-cni-plugin builds it in)\n");
        return 1;
    }
    const int fd = memfd_create("vireo-cni-config", 0);
    if (fd < 0 || write(fd, config->data, config->length) != (ssize_t)config->length || lseek(fd, 0, SEEK_SET) != 0 ||
        dup2(fd, STDIN_FILENO) < 0)
    {
        perror("vireo-cni: cannot hand the config to the fallback");
        return 1;
    }
    execl(fallback, fallback, (char *)NULL);
    fprintf(stderr, "vireo-cni: cannot run %s: %s\n", fallback, strerror(errno));
    return 1;
}

/*
 * The length of the whole response (head and body) once its head is in and names a Content-Length, else 0:
 * the answer is complete then, without waiting for the daemon to close the connection.
 */
static size_t whole_length(const buffer *response)
{
    const char *end_of_head = strstr(response->data, "\r\n\r\n");
    if (!end_of_head)
    {
        return 0;
    }
    for (const char *line = strstr(response->data, "\r\n"); line && line < end_of_head; line = strstr(line + 2, "\r\n"))
    {
        size_t length;
        if (strncasecmp(line + 2, "content-length:", 15) == 0 && sscanf(line + 17, " %zu", &length) == 1)
        {
            return (size_t)(end_of_head + 4 - response->data) + length;
        }
    }
    return 0;
}

/* Prints the CNI error object for a daemon that took the call and did not answer it. */
static int fail(const char *message)
{
    printf("{\"cniVersion\": \"1.0.0\", \"code\": 11, \"msg\": \"%s\"}\n", message);
    fprintf(stderr, "vireo-cni: %s\n", message);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc > 2)
    {
        fprintf(stderr, "usage: %s [FALLBACK] < config\n", argv[0]);
        return 2;
    }
    const char *fallback = argc == 2 ? argv[1] : VIREO_FALLBACK;
    buffer config = {0};
    char chunk[65536];
    ssize_t n;
    while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) > 0)
    {
        append(&config, chunk, (size_t)n);
    }
    if (!config.data)
    {
        append(&config, "", 0);
    }

    char directory[4096];
    run_dir(config.data, config.length, directory, sizeof directory);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (snprintf(address.sun_path, sizeof address.sun_path, "%s/vireo.sock", directory) >= (int)sizeof address.sun_path)
    {
        return fall_back(fallback, &config);
    }
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0)
    {
        return fall_back(fallback, &config);
    }
    const struct timeval timeout = {.tv_sec = TIMEOUT_SECONDS};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

    buffer body = {0};
    append_text(&body, "{\"env\": {");
    for (char **variable = environ; *variable; variable++)
    {
        const char *equals = strchr(*variable, '=');
        if (!equals)
        {
            continue;
        }
        if (variable != environ)
        {
            append_text(&body, ", ");
        }
        append_json_string(&body, *variable, (size_t)(equals - *variable));
        append_text(&body, ": ");
        append_json_string(&body, equals + 1, strlen(equals + 1));
    }
    append_text(&body, "}, \"config\": ");
    append_json_string(&body, config.data, config.length);
    append_text(&body, "}");

    buffer request = {0};
    char head[256];
    snprintf(head, sizeof head, "POST /v1/cni HTTP/1.1\r\nHost: vireod\r\nContent-Type: application/json\r\n"
        "Content-Length: %zu\r\nConnection: close\r\n\r\n", body.length);
    append_text(&request, head);
    append(&request, body.data, body.length);
    for (size_t sent = 0; sent < request.length;)
    {
        const ssize_t written = send(fd, request.data + sent, request.length - sent, MSG_NOSIGNAL);
        if (written <= 0)
        {
            return fall_back(fallback, &config);
        }
        sent += (size_t)written;
    }
    buffer response = {0};
    size_t expected = 0; /* head and body, once the head is in */
    while ((!expected || response.length < expected) && (n = recv(fd, chunk, sizeof chunk, 0)) > 0)
    {
        append(&response, chunk, (size_t)n);
        expected = expected ? expected : whole_length(&response);
    }
    if (n < 0)
    {
        return fail(errno == EAGAIN || errno == EWOULDBLOCK ? "vireod did not answer within 120 s" :
            "the connection to vireod failed");
    }
    if (!response.data || strncmp(response.data, "HTTP/1.1 200 ", 13) != 0)
    {
        return fall_back(fallback, &config);
    }
    const char *answer = strstr(response.data, "\r\n\r\n");
    int exit_status;
    size_t stdout_bytes;
    int consumed;
    if (!answer || sscanf(answer + 4, "%d %zu\n%n", &exit_status, &stdout_bytes, &consumed) != 2)
    {
        return fail("vireod answered something that is not a CNI answer");
    }
    const char *output = answer + 4 + consumed;
    const size_t output_bytes = response.length - (size_t)(output - response.data);
    if (stdout_bytes > output_bytes)
    {
        return fail("vireod's answer is cut short");
    }
    fwrite(output, 1, stdout_bytes, stdout);
    fwrite(output + stdout_bytes, 1, output_bytes - stdout_bytes, stderr);
    return exit_status;
}
