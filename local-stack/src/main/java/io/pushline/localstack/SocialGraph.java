package io.pushline.localstack;

import io.pushline.contracts.Platform;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A deterministic social graph for the demo: users with devices on the three platforms (about 2 in 5 APNs, 2 in 5 FCM,
 * 1 in 5 web push), a few popular authors with large audiences, everyday follows between ordinary users, and some
 * unfollows. The same seed gives the same graph.
 */
public final class SocialGraph {
    /**
     * A device; a web push device's token is null here: it is derived from its subscription's endpoint, which the
     * test push service makes when the device subscribes ({@link #withToken}).
     */
    public record Device(String userId, String token, Platform platform, String appId) {
        public Device withToken(String value) {
            return new Device(userId, value, platform, appId);
        }
    }
    record Edge(String followerId, String followeeId) {}
    /** A user liking an author's post. */
    record Like(String actorId, String authorId) {}

    static final String APNS_APP = "io.pushline.demo";
    static final String FCM_APP = "io.pushline.demo.android";
    static final String WEB_APP = "io.pushline.demo.web";

    final List<String> users;
    public final List<Device> devices;
    final List<Edge> follows;
    final List<Edge> unfollows;
    final List<String> authors;

    private SocialGraph(List<String> users, List<Device> devices, List<Edge> follows, List<Edge> unfollows, List<String> authors) {
        this.users = users;
        this.devices = devices;
        this.follows = follows;
        this.unfollows = unfollows;
        this.authors = authors;
    }

    /**
     * @param userCount   users, at least 2
     * @param deviceCount devices, at least {@code userCount} (every user has one, the rest are spread at random)
     * @param authorCount popular authors whose posts fan out; each is followed by about a third of all users
     * @param seed        random seed
     */
    public static SocialGraph generate(int userCount, int deviceCount, int authorCount, long seed) {
        Random random = new Random(seed);
        List<String> users = new ArrayList<>(userCount);
        for (int i = 0; i < userCount; i++) {
            users.add(String.format("user-%07d", i));
        }
        List<Device> devices = new ArrayList<>(deviceCount);
        for (int i = 0; i < deviceCount; i++) {
            String user = i < userCount ? users.get(i) : users.get(random.nextInt(userCount));
            int kind = random.nextInt(5);
            devices.add(kind == 0 ? new Device(user, null, Platform.WEBPUSH, WEB_APP)
                    : kind <= 2 ? new Device(user, hex(random, 64), Platform.APNS, APNS_APP)
                    : new Device(user, fcmToken(random), Platform.FCM, FCM_APP));
        }
        List<String> authors = List.copyOf(users.subList(0, Math.min(authorCount, userCount)));
        Set<Edge> follows = new LinkedHashSet<>();
        for (String user : users) {
            for (String author : authors) {
                if (!author.equals(user) && random.nextInt(3) == 0) {
                    follows.add(new Edge(user, author));
                }
            }
            for (int k = 0; k < 3; k++) {
                String other = users.get(random.nextInt(userCount));
                if (!other.equals(user)) {
                    follows.add(new Edge(user, other));
                }
            }
        }
        List<Edge> unfollows = new ArrayList<>();
        for (Edge edge : follows) {
            if (random.nextInt(20) == 0) {
                unfollows.add(edge);
            }
        }
        return new SocialGraph(List.copyOf(users), List.copyOf(devices), List.copyOf(follows), List.copyOf(unfollows), authors);
    }

    /**
     * {@code count} likes of the authors' posts by random users, no (actor, author) pair twice (a second like of the
     * same post is a no-op), at most one like per user and author.
     */
    List<Like> likes(int count, long seed) {
        Random random = new Random(seed ^ 0x5DEECE66DL);
        Set<Like> likes = new LinkedHashSet<>();
        int max = users.size() * authors.size();
        while (likes.size() < Math.min(count, max)) {
            likes.add(new Like(users.get(random.nextInt(users.size())), authors.get(random.nextInt(authors.size()))));
        }
        return List.copyOf(likes);
    }

    /** Followers of {@code author} once every unfollow has been applied. */
    Set<String> followersOf(String author) {
        Set<Edge> removed = new HashSet<>(unfollows);
        Set<String> followers = new HashSet<>();
        for (Edge edge : follows) {
            if (edge.followeeId().equals(author) && !removed.contains(edge)) {
                followers.add(edge.followerId());
            }
        }
        return followers;
    }

    private static String hex(Random random, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(Character.forDigit(random.nextInt(16), 16));
        }
        return sb.toString();
    }

    private static String fcmToken(Random random) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        StringBuilder sb = new StringBuilder(22 + 1 + 140);
        for (int i = 0; i < 22; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        sb.append(':');
        for (int i = 0; i < 140; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
