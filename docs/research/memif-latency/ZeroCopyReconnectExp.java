import io.rum.net.config.MacAddress;
import io.rum.net.dpdk.*;
import java.util.*;
/**
 * Research: a memif client in zero-copy mode cannot reconnect (DPDK 22.11). Needs zero-copy.patch; see README.
 * One JVM, a server and a client port; the server port is closed and opened again three times, and the client polls
 * (which restarts its port while the link is down) for 5 s after each: in copy mode it reconnects every time, in
 * zero-copy mode memif_connect fails with "mmap failed: No such device", because memif closed the EAL memory file
 * descriptor it had sent the first time.
 */
public class ZeroCopyReconnectExp {
  public static void main(String[] a) throws Exception {
    String sock = "/tmp/reopen-" + ProcessHandle.current().pid() + ".sock";
    String zc = a.length > 0 ? a[0] : "";
    String sv = "net_memif0,role=server,id=0,socket=" + sock + ",socket-abstract=no,bsize=8192";
    String cv = "net_memif1,role=client,id=0,socket=" + sock + ",socket-abstract=no,bsize=8192" + zc;
    MacAddress sm = MacAddress.parse("02:52:55:4d:00:01"), cm = MacAddress.parse("02:52:55:4d:00:02");
    DpdkConfig sc = DpdkConfig.ofVdev(sv).withMac(sm).withPoolSize(2047), cc = DpdkConfig.ofVdev(cv).withMac(cm).withPoolSize(2047);
    Eal eal = Eal.start(List.of(sc.vdev(), cc.vdev()), 256, null);
    DpdkMedium server = DpdkMedium.open(eal, sc, Map.of(), DpdkMedium.DEFAULT_MAX_PEERS);
    DpdkMedium client = DpdkMedium.open(eal, cc, Map.of(1, sm), DpdkMedium.DEFAULT_MAX_PEERS);
    System.out.println("client link up: " + client.awaitLinkUp(5000));
    for (int i = 0; i < 3; i++) {
      server.close();
      System.out.println("server closed " + i);
      Thread.sleep(500);
      eal = Eal.start(List.of(sc.vdev()), 256, null);
      server = DpdkMedium.open(eal, sc, Map.of(), DpdkMedium.DEFAULT_MAX_PEERS);
      long t0 = System.nanoTime();
      boolean up = false;
      while (System.nanoTime() - t0 < 5_000_000_000L) { client.poll((p,b,o,l)->{}, 32); Thread.sleep(1); } up = client.awaitLinkUp(100);
      System.out.println("server reopened " + i + ", client link up: " + up + " after " + (System.nanoTime()-t0)/1000000 + " ms, reconnects " + client.reconnects());
    }
    client.close(); server.close(); eal.close();
    java.nio.file.Files.deleteIfExists(java.nio.file.Path.of(sock));
  }
}
