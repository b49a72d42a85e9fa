## Reference numbers for survey/planning/inputs.py and planning_models.py
## (tests/test_planning.py).
## Run from anywhere:  Rscript tests/reference/planning_reference.R
## Writes tests/reference/planning_reference.json.
## R survey 4.1.1, jsonlite; data: tests/reference/planning_cells.csv and
## planning_respondents.csv, written by tests/reference/planning_make_data.py.
##
## Every number is computed here from its textbook formula, independently of the
## Python code:
## * response rates: glm(cbind(returned, mailed - returned) ~ factor(age_band) +
##   factor(district), binomial) and ~ factor(age_band) only;
## * the satisfaction score (1 -> +1 ... 5 -> -1; 6, 9 unscored) per cell: count,
##   mean, var; shrinkage with prior 10 towards (age pooled x district pooled /
##   overall pooled) within-cell variances, each level pooled value shrunk
##   towards the overall one with prior 10;
## * additive cell means: lm(mean ~ factor(age_band) + factor(district),
##   weights = count) over the cells with answers, predicted for every cell;
## * item answer rate per age band; Kish's n sum(w^2) / sum(w)^2 per cell and
##   its pooled value with weights W_h^2 S_h^2 / n_h (W_h^2 / n_h for the unit);
## * this wave's svymean(~score, na.rm = TRUE) for the city and svyby by district
##   and age band with svydesign(ids = ~1, weights = ~wt).
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
cells <- read.csv(file.path(here, "planning_cells.csv"))
resp <- read.csv(file.path(here, "planning_respondents.csv"))
cells <- cells[order(cells$district, cells$age_band), ]
key <- function(d, a) paste(d, a)
ck <- key(cells$district, cells$age_band)
rk <- key(resp$district, resp$age_band)

cells$returned <- as.numeric(table(factor(rk, levels = ck)))
fit_main <- glm(cbind(returned, mailed - returned) ~ factor(age_band) + factor(district),
                family = binomial, data = cells)
fit_age <- glm(cbind(returned, mailed - returned) ~ factor(age_band), family = binomial, data = cells)

scores <- c(1, 0.5, 0, -0.5, -1)
resp$score <- ifelse(resp$satisfaction %in% 1:5, scores[pmin(resp$satisfaction, 5)], NA)
ok <- !is.na(resp$score)
n_ans <- as.numeric(table(factor(rk[ok], levels = ck)))
mean_c <- sapply(ck, function(k) if (any(rk[ok] == k)) mean(resp$score[ok & rk == k]) else NA)
var_c <- sapply(ck, function(k) if (sum(rk[ok] == k) >= 2) var(resp$score[ok & rk == k]) else NA)
d <- ifelse(is.na(var_c), 0, n_ans - 1)
ss <- ifelse(is.na(var_c), 0, d * var_c)
overall <- sum(ss) / sum(d)
prior <- 10
lvl_factor <- function(codes) {
  out <- numeric(length(codes))
  for (l in unique(codes)) {
    s <- codes == l
    out[s] <- (sum(ss[s]) + prior * overall) / (sum(d[s]) + prior)
  }
  out
}
model <- lvl_factor(cells$age_band) * lvl_factor(cells$district) / overall
shrunk <- (ss + prior * model) / (d + prior)

cm <- data.frame(mean = mean_c, n = n_ans, age = factor(cells$age_band), district = factor(cells$district))
fit_mean <- lm(mean ~ age + district, weights = n, data = cm[n_ans > 0, ])
fitted_mean <- predict(fit_mean, newdata = cm)

unit_n <- cells$returned
answer_rate <- sapply(cells$age_band, function(a) sum(n_ans[cells$age_band == a]) / sum(unit_n[cells$age_band == a]))

kish <- function(sel) sapply(ck, function(k) {
  w <- resp$wt[sel & rk == k]
  if (length(w) == 0) NA else length(w) * sum(w^2) / sum(w)^2
})
kish_item <- kish(ok)
kish_unit <- kish(rep(TRUE, nrow(resp)))
W <- cells$count / sum(cells$count)
pool <- function(k, contribution) {
  s <- !is.na(k) & is.finite(contribution) & contribution > 0
  sum(contribution[s] * k[s]) / sum(contribution[s])
}
deff_item <- pool(kish_item, W^2 * shrunk / n_ans)
deff_unit <- pool(kish_unit, W^2 / unit_n)

des <- svydesign(ids = ~1, weights = ~wt, data = resp)
city <- svymean(~score, des, na.rm = TRUE)
by_d <- svyby(~score, ~district, des, svymean, na.rm = TRUE)
by_a <- svyby(~score, ~age_band, des, svymean, na.rm = TRUE)

out <- list(
  source = "tests/reference/planning_reference.R (R survey 4.1.1)",
  cells = list(district = cells$district, age_band = cells$age_band),
  returned = cells$returned,
  response_main = unname(fitted(fit_main)),
  response_age = unname(fitted(fit_age)),
  answered = n_ans, mean = unname(mean_c), sample_variance = unname(var_c),
  variance = unname(shrunk), fitted_mean = unname(fitted_mean), answer_rate = unname(answer_rate),
  kish_item = unname(kish_item), deff_item = deff_item, deff_unit = deff_unit,
  wave = list(city_estimate = unname(coef(city)), city_se = unname(SE(city)),
              district = by_d$district, district_estimate = by_d$score, district_se = unname(SE(by_d)),
              age_band = by_a$age_band, age_estimate = by_a$score, age_se = unname(SE(by_a)))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(here, "planning_reference.json"))
