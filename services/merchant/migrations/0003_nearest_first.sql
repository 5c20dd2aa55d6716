-- Great-circle distance in metres (haversine, mean Earth radius as in domain.EARTH_RADIUS_M). A plain SQL
-- function so the planner inlines it into the nearby search's index filter.
CREATE FUNCTION great_circle_m(lat1 float8, lng1 float8, lat2 float8, lng2 float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 2 * 6371008.8 * asin(least(1, sqrt(
           power(sin(radians(lat2 - lat1) / 2), 2)
           + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lng2 - lng1) / 2), 2)
         )))
$$;
