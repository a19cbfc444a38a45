package io.pushline.contracts;

/**
 * One entry of a user's activity feed ("Bob liked your post"), written by Pushline's coordinators
 * for other services to consume, on {@link Topics#ACTIVITY}. Kafka key: {@code recipientId}.
 *
 * @param actorId user who acted
 * @param verb what the actor did
 * @param objectId what the actor acted on: the post for {@link ActivityVerb#LIKED} and
 *     {@link ActivityVerb#UNLIKED}, the followee for {@link ActivityVerb#FOLLOWED}
 * @param recipientId user whose feed shows the entry (the post's owner, or the followee)
 */
public record ActivityRecorded(String actorId, ActivityVerb verb, String objectId, String recipientId)
    implements EventData {
  /** Rejects {@code null} components. */
  public ActivityRecorded {
    Require.nonNull(actorId, "ActivityRecorded.actorId");
    Require.nonNull(verb, "ActivityRecorded.verb");
    Require.nonNull(objectId, "ActivityRecorded.objectId");
    Require.nonNull(recipientId, "ActivityRecorded.recipientId");
  }

  @Override
  public EventType type() {
    return EventType.ACTIVITY_RECORDED;
  }
}
