package io.mesh4j.policy;

/**
 * What a service's {@link AuthorizationPolicy} decided for one inbound call.
 *
 * @param effect the outcome
 * @param rule   the deciding rule's name, or null when no rule matched
 * @param reason a sentence naming the caller, the call and the rule, for logs and the denial's body
 */
public record AuthorizationDecision(Effect effect, String rule, String reason) {

  /** The outcome of a decision. */
  public enum Effect {
    /** The call may proceed. */
    ALLOWED,
    /** The call is refused: nothing reaches the handler. */
    DENIED,
    /** The rules deny the call, but the policy is in audit mode: it proceeds, and the denial is logged and counted. */
    AUDITED;

    /** The spelling in metrics and span events: {@code allowed}, {@code denied}, {@code audited}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The decision of a service without rules. */
  public static final AuthorizationDecision NO_RULES = new AuthorizationDecision(Effect.ALLOWED, null,
      "no authorization rules");

  /** Whether the call may proceed (allowed, or denied only in audit mode). */
  public boolean allowed() {
    return effect != Effect.DENIED;
  }
}
