package io.rum.net.reliability;

import io.rum.net.medium.InProcessNetwork;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcStatus;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A timer task (or handler) that sends a call while another thread closes the transport. With the
 * reentrant lock, submit's "closed" path took the lock again and completed the call CLOSED; the DutyCycleLock is
 * not reentrant, so PendingCall.send throws IllegalStateException out of the task.
 */
@Timeout(30)
class SubmitDuringCloseTest
{
    @Test
    void aCallSentFromATimerTaskWhileClosingEndsClosedWithoutThrowing() throws Exception
    {
        final InProcessNetwork network = new InProcessNetwork();
        final ReliableTransport node = new ReliableTransport(TransportConfig.defaults(1), network.attach(1),
            ReliableTransport.wallClockEpoch(), SystemNanoClock.INSTANCE);
        final RpcClient client = node.rpcClient(2);
        final CountDownLatch inTask = new CountDownLatch(1);
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final AtomicReference<PendingCall> sent = new AtomicReference<>();
        final boolean[] once = {false};
        node.addTimer(1, nowNs ->
        {
            if (once[0])
            {
                return;
            }
            once[0] = true;
            inTask.countDown();
            while (!node.isClosed())
            {
                Thread.onSpinWait();
            }
            final PendingCall call = client.begin(TimeUnit.SECONDS.toNanos(1));
            call.request(8);
            try
            {
                call.send(8, TimeUnit.SECONDS.toNanos(1));
                sent.set(call);
            }
            catch (final Throwable ex)
            {
                thrown.set(ex);
            }
        });
        final Thread driver = Thread.ofPlatform().start(() -> node.tryDutyCycle(false));
        inTask.await();
        node.close(); // waits for the driver's cycle to end
        driver.join();
        assertNull(thrown.get(), () -> "send inside a cycle during close threw: " + thrown.get());
        assertEquals(RpcStatus.CLOSED, sent.get().status());
    }
}
