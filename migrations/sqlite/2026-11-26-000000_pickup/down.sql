DROP TABLE pickup_point_operators;
DROP TABLE gift_pickup_points;
DROP TABLE pickup_points;
