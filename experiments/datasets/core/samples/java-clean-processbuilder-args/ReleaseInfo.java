package shop.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

public final class ReleaseInfo {
    private static final Pattern TAG = Pattern.compile("v\\d+\\.\\d+\\.\\d+");

    private ReleaseInfo() {
    }

    public static String currentCommit() throws IOException, InterruptedException {
        return run(List.of("git", "rev-parse", "HEAD"));
    }

    public static String tagDate(String tag) throws IOException, InterruptedException {
        if (!TAG.matcher(tag).matches()) {
            throw new IllegalArgumentException("not a release tag: " + tag);
        }
        return run(List.of("git", "log", "-1", "--format=%cI", tag, "--"));
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException("git failed: " + output);
        }
        return output.trim();
    }
}
