"""What Penny says without being asked: the weekly digest, the closed month's bill,
anomalies and budget thresholds, each built from the same capabilities as an answer.

Each notice is a typed report computed with the *channel's* scope (``slack.channels``), so a
team's channel only ever sees its team; renderers (Slack blocks) and the jobs that post
them live with the interfaces.
"""
