package io.rum.tck;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints the one summary line of a TCK run when the JUnit Platform finishes the test plan:
 * {@code tck in-process: N passed, M failed, K skipped}.
 *
 * <p>Counts test executions (leaves). A skipped container (an ignored class) counts its tests as
 * skipped; a failing container (a failing {@code @BeforeClass}) counts as one failure, so no
 * failure can hide. Aborted tests (failed assumptions) count as skipped. The mode name comes from
 * the system property {@code rum.tck.mode} (default "in-process").
 */
public final class TckSummaryListener implements TestExecutionListener {
    private final AtomicLong passed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private volatile TestPlan plan;

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
        passed.set(0);
        failed.set(0);
        skipped.set(0);
    }

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
        if (id.isTest()) {
            skipped.incrementAndGet();
        } else if (plan != null) {
            skipped.addAndGet(plan.getDescendants(id).stream().filter(TestIdentifier::isTest).count());
        }
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        switch (result.getStatus()) {
            case SUCCESSFUL -> {
                if (id.isTest()) {
                    passed.incrementAndGet();
                }
            }
            case ABORTED -> {
                if (id.isTest()) {
                    skipped.incrementAndGet();
                }
            }
            // Surefire reports each failure itself; this listener adds only the summary line.
            case FAILED -> failed.incrementAndGet();
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        System.out.println("tck " + System.getProperty("rum.tck.mode", "in-process") + ": " + passed.get() + " passed, "
            + failed.get() + " failed, " + skipped.get() + " skipped");
        System.out.flush();
    }
}
