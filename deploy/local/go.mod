module github.com/parkdesk/parkdesk/deploy/local

go 1.26
