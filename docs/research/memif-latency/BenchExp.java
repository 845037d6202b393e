package io.rum.bench;
public final class BenchExp { public static org.agrona.concurrent.IdleStrategy idle(String n) { return BenchOptions.idleStrategy(n); } }
