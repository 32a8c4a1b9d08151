package org.carepath.fhir;

import java.io.IOException;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

/**
 * Refuses bodies over the limit with 413: before reading anything when Content-Length says so,
 * and while reading when the body arrives chunked, so an oversized body is never held in memory.
 */
class RequestSizeLimit {

    private final long limit;

    RequestSizeLimit(long limit) {
        this.limit = limit;
    }

    /** Wraps a request so that reading past the limit fails. */
    HttpServletRequest limit(HttpServletRequest request) {
        return new HttpServletRequestWrapper(request) {
            private ServletInputStream stream;

            @Override
            public ServletInputStream getInputStream() throws IOException {
                if (getContentLengthLong() > limit) {
                    throw new PayloadTooLarge(limit);
                }
                if (stream == null) {
                    stream = new Counting(super.getInputStream(), limit);
                }
                return stream;
            }
        };
    }

    private static final class Counting extends ServletInputStream {
        private final ServletInputStream in;
        private final long limit;
        private long read;

        Counting(ServletInputStream in, long limit) {
            this.in = in;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            read += n;
            if (read > limit) {
                throw new PayloadTooLarge(limit);
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
