//! Stream records, as Lambda delivers them from a DynamoDB stream (`NEW_AND_OLD_IMAGES`), decoded
//! into a union of entities.

use dynamodel::stream::{Change, ChangeKind, Event};

use crate::entities::{Member, Team, TeamItem};

const EVENT: &str = r#"{"Records": [
  {"eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
   "awsRegion": "eu-west-1",
   "dynamodb": {"ApproximateCreationDateTime": 1764669600, "SequenceNumber": "100", "SizeBytes": 60,
     "StreamViewType": "NEW_AND_OLD_IMAGES",
     "Keys": {"pk": {"S": "TEAM#t1"}, "sk": {"S": "MEMBER#ada"}},
     "NewImage": {"pk": {"S": "TEAM#t1"}, "sk": {"S": "MEMBER#ada"}, "_type": {"S": "member"},
                  "team": {"S": "t1"}, "name": {"S": "ada"}}},
   "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-12-02T00:00:00.000"},
  {"eventID": "2", "eventName": "MODIFY", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
   "awsRegion": "eu-west-1",
   "dynamodb": {"ApproximateCreationDateTime": 1764669601, "SequenceNumber": "101", "SizeBytes": 90,
     "StreamViewType": "NEW_AND_OLD_IMAGES",
     "Keys": {"pk": {"S": "TEAM#t1"}, "sk": {"S": "TEAM"}},
     "OldImage": {"pk": {"S": "TEAM#t1"}, "sk": {"S": "TEAM"}, "_type": {"S": "team"},
                  "team": {"S": "t1"}, "name": {"S": "Core"}},
     "NewImage": {"pk": {"S": "TEAM#t1"}, "sk": {"S": "TEAM"}, "_type": {"S": "team"},
                  "team": {"S": "t1"}, "name": {"S": "Platform"}, "expires_at": {"N": "1900000000"}}},
   "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-12-02T00:00:00.000"},
  {"eventID": "3", "eventName": "REMOVE", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
   "awsRegion": "eu-west-1",
   "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
   "dynamodb": {"ApproximateCreationDateTime": 1764669602, "SequenceNumber": "102", "SizeBytes": 60,
     "StreamViewType": "NEW_AND_OLD_IMAGES",
     "Keys": {"pk": {"S": "TEAM#t1"}, "sk": {"S": "MEMBER#ada"}},
     "OldImage": {"pk": {"S": "TEAM#t1"}, "sk": {"S": "MEMBER#ada"}, "_type": {"S": "member"},
                  "team": {"S": "t1"}, "name": {"S": "ada"}}},
   "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-12-02T00:00:00.000"},
  {"eventID": "4", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
   "awsRegion": "eu-west-1",
   "dynamodb": {"ApproximateCreationDateTime": 1764669603, "SequenceNumber": "103", "SizeBytes": 40,
     "StreamViewType": "NEW_AND_OLD_IMAGES",
     "Keys": {"pk": {"S": "INVOICE#1"}, "sk": {"S": "INVOICE"}},
     "NewImage": {"pk": {"S": "INVOICE#1"}, "sk": {"S": "INVOICE"}, "_type": {"S": "invoice"}}},
   "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-12-02T00:00:00.000"}
]}"#;

#[test]
fn stream_records_decode_into_the_union() {
    let event: Event = serde_json::from_str(EVENT).unwrap();
    let ada = Member {
        team: "t1".into(),
        name: "ada".into(),
    };

    let insert = Change::<TeamItem>::from_record(&event.records[0]).unwrap();
    assert_eq!(insert.kind, ChangeKind::Insert);
    assert_eq!(
        (insert.old, insert.new.clone()),
        (None, Some(TeamItem::Member(ada.clone())))
    );
    assert_eq!(insert.sequence_number.as_deref(), Some("100"));
    assert_eq!(insert.at.unwrap().unix_timestamp(), 1_764_669_600);
    assert_eq!(
        insert.keys["sk"],
        dynamodel::expr::AttributeValue::S("MEMBER#ada".into())
    );

    let modify = Change::<TeamItem>::from_record(&event.records[1]).unwrap();
    assert_eq!(modify.kind, ChangeKind::Modify);
    let Some(TeamItem::Team(Team { name: before, .. })) = &modify.old else {
        panic!("{modify:?}")
    };
    let Some(TeamItem::Team(Team {
        name: after,
        expires_at,
        ..
    })) = &modify.new
    else {
        panic!("{modify:?}")
    };
    assert_eq!(
        (before.as_str(), after.as_str(), *expires_at),
        ("Core", "Platform", Some(1_900_000_000))
    );

    let remove = Change::<Member>::from_record(&event.records[2]).unwrap();
    assert_eq!(
        (remove.kind, remove.new.is_none()),
        (ChangeKind::Remove, true)
    );
    assert_eq!(remove.latest(), Some(&ada));
    assert!(remove.expired, "a delete by DynamoDB's TTL process");
    assert_eq!(remove.event_id, "3");

    // Another entity sharing the table: an error for from_record, skipped by decode.
    assert!(Change::<TeamItem>::from_record(&event.records[3]).is_err());
    assert!(
        Change::<TeamItem>::decode(&event.records[3])
            .unwrap()
            .is_none()
    );
    // A single model reading the other entity's record: skipped too.
    assert!(
        Change::<Member>::decode(&event.records[1])
            .unwrap()
            .is_none()
    );
}
